/**
 * The deployer's version, as `deployer --version` prints it: the `version`
 * of its package.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { REPO_ROOT } from '../../infra/repo-root.ts';

const PackageJsonSchema = z.object({ version: z.string().min(1) });

/** The version in the deployer's package.json. */
export function packageVersion(): string {
  return PackageJsonSchema.parse(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))).version;
}

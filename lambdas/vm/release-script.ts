/**
 * The release script's text, as the SSH executor sends it to hosts (SSM
 * hosts download it from S3: see release-script-object.ts).
 *
 * A Lambda bundle carries the file beside it, named by DEPLOYER_RELEASE_SCRIPT
 * (the stack sets it for StartSshBatch; the rehearsal and the tests set the
 * checkout's `vm/release.sh`). Nothing here looks for the file relative to
 * the sources: in a CommonJS bundle there is no `import.meta.url`.
 */
import { readFileSync } from 'node:fs';
import { ENV } from '../registry.ts';
import { requiredEnv } from '../shared/env.ts';

/** Where the release script is (DEPLOYER_RELEASE_SCRIPT). */
export function releaseScriptPath(): string {
  return requiredEnv(ENV.releaseScript);
}

let cached: { path: string; text: string } | undefined;

/** The script's text (read once per path). */
export function readReleaseScript(path: string = releaseScriptPath()): string {
  if (cached?.path !== path) cached = { path, text: readFileSync(path, 'utf8') };
  return cached.text;
}

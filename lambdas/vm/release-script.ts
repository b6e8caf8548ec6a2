/**
 * The release script's text, as the SSH executor sends it to hosts (SSM
 * hosts download it from S3: see release-script-object.ts).
 *
 * The text is read from `vm/release.sh` next to the sources. A Lambda bundle
 * must carry the file (a copy beside the bundle, named by
 * DEPLOYER_RELEASE_SCRIPT).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `vm/release.sh` is in this checkout. */
export function releaseScriptPath(): string {
  const override = process.env.DEPLOYER_RELEASE_SCRIPT;
  if (override !== undefined && override !== '') return override;
  return fileURLToPath(new URL('../../vm/release.sh', import.meta.url));
}

let cached: { path: string; text: string } | undefined;

/** The script's text (read once per path). */
export function readReleaseScript(path: string = releaseScriptPath()): string {
  if (cached?.path !== path) cached = { path, text: readFileSync(path, 'utf8') };
  return cached.text;
}


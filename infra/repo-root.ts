/**
 * Absolute path of the repository root. Lambda entries, the ASL files and the
 * lock file are addressed from here, so synth works whatever the current
 * directory is (cdk, vitest, or a script started elsewhere).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `relative` (as written in lambdas/registry.ts, `statemachines/...`) resolved against the repository root. */
export function fromRepoRoot(relative: string): string {
  return path.resolve(REPO_ROOT, relative);
}

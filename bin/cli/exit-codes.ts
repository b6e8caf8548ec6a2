/** Exit codes of the `deployer` command: scripts and CI must not mistake a rollback for success. */
export const EXIT = {
  /** The deployment succeeded (or the command did what was asked). */
  ok: 0,
  /** The deployment rolled back, failed or was superseded. */
  deploymentFailed: 1,
  /** Bad arguments, a bad config, or a deployment input the deployer rejected: nothing was changed. */
  usage: 2,
} as const;

/** A user mistake on the command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

/**
 * The exit code of a deployment that was followed to its end (`simulate`,
 * `deploy --wait`, `watch`): 0 succeeded; 2 its input was rejected (nothing
 * was changed, like a bad argument); 1 anything else (rolled back, failed,
 * superseded, aborted, timed out).
 */
export function exitCodeOf(outcome: string): number {
  if (outcome === 'SUCCEEDED') return EXIT.ok;
  if (outcome === 'REJECTED') return EXIT.usage;
  return EXIT.deploymentFailed;
}

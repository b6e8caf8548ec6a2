/** Exit codes of the `deployer` command: scripts and CI must not mistake a rollback for success. */
export const EXIT = {
  /** The deployment succeeded (or the command did what was asked). */
  ok: 0,
  /** The deployment rolled back, failed or was superseded. */
  deploymentFailed: 1,
  /** Bad arguments or a bad config: nothing was run. */
  usage: 2,
} as const;

/** A user mistake on the command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

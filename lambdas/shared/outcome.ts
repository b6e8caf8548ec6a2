/**
 * How a deployment ended, in one word, derived in one place for the
 * rehearsal's report, the CLI and the watcher: from the execution's status
 * and, for a failed execution, the Error name of the Fail state it ended in
 * (never from the names of the states it passed through).
 */

export const OUTCOMES = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED', 'REJECTED', 'ABORTED', 'TIMED_OUT'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The Error names of the envelope's Fail states that say more than FAILED.
 * (`InvalidInput` is the handlers' error for a bad request; `Superseded`
 * and `RolledBack` are set by the envelope itself.)
 */
export const OUTCOME_ERRORS: Readonly<Record<string, Outcome>> = {
  InvalidInput: 'REJECTED',
  Superseded: 'SUPERSEDED',
  RolledBack: 'ROLLED_BACK',
};

/** What is known about an execution's end. */
export interface ExecutionEndFacts {
  /** Step Functions execution status: RUNNING, SUCCEEDED, FAILED, ABORTED, TIMED_OUT... */
  status: string;
  /** The execution's Error, for a FAILED one. */
  error?: string | null;
  /** The status the deployment history recorded, if it did (a stop after success keeps SUCCEEDED). */
  recorded?: string | null;
}

/** The outcome of a deployment that has ended; undefined while it runs. */
export function deploymentOutcome(facts: ExecutionEndFacts): Outcome | undefined {
  const { status } = facts;
  if (status === 'FAILED') return OUTCOME_ERRORS[facts.error ?? ''] ?? 'FAILED';
  // Stopped after success was recorded: the verified deployment stays.
  if (status === 'ABORTED' || status === 'TIMED_OUT') return facts.recorded === 'SUCCEEDED' ? 'SUCCEEDED' : status;
  return status === 'SUCCEEDED' ? 'SUCCEEDED' : undefined;
}

/**
 * Who called what: every simulated AWS call is recorded with the IAM action
 * and resources AWS would authorize it against, and attributed to the Lambda
 * (and state) that made it. The IAM cross-check compares these records with
 * the policies the stack grants each function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The Lambda making calls: its registry key and, in the rehearsal, the state and execution it runs for. */
export interface Caller {
  functionKey: string;
  stateName?: string;
  executionName?: string;
}

/** One IAM authorization a call needs: the action and the resources it is checked against. */
export interface Authorization {
  /** IAM action, e.g. `ecs:UpdateService`. */
  action: string;
  /** Resource ARNs, or `['*']` for actions without resource-level permissions. */
  resources: string[];
}

/** A recorded authorization of one simulated call. */
export interface RecordedCall extends Authorization {
  caller: Caller;
  /** Virtual time of the call, epoch ms. */
  at: number;
  /** Name of the error the call failed with (`AccessDeniedException`...), when it failed. */
  error?: string;
}

/** Calls made outside `withCaller` are attributed to this caller. */
export const UNKNOWN_CALLER: Readonly<Caller> = Object.freeze({ functionKey: 'unknown' });

/** Holds the current caller across async continuations and the log of recorded calls. */
export class CallRecorder {
  private readonly storage = new AsyncLocalStorage<Caller>();
  private readonly log: RecordedCall[] = [];

  /** Every recorded authorization, oldest first. */
  public get calls(): ReadonlyArray<RecordedCall> {
    return this.log;
  }

  /** Run `fn` so that every call it makes, however deep in its async work, is attributed to `caller`. */
  public withCaller<T>(caller: Caller, fn: () => Promise<T>): Promise<T> {
    // A copy: the caller may reuse and mutate its object for the next invocation.
    return this.storage.run({ ...caller }, fn);
  }

  /** Run `fn` with no caller, so that work it schedules is not attributed to the current one. */
  public outsideCaller<T>(fn: () => T): T {
    return this.storage.exit(fn);
  }

  /** The caller of the code running now. */
  public current(): Caller {
    return this.storage.getStore() ?? UNKNOWN_CALLER;
  }

  /** Record the authorizations of one call; each carries the call's error when it failed. */
  public record(caller: Caller, authorizations: readonly Authorization[], at: number, error?: string): void {
    for (const { action, resources } of authorizations) {
      const call: RecordedCall = { caller: { ...caller }, action, resources: [...resources], at };
      if (error !== undefined) call.error = error;
      this.log.push(call);
    }
  }
}

/**
 * The time source of every handler.
 *
 * In AWS this is the system clock. The local rehearsal swaps in a virtual
 * clock so that a deployment that would take twenty minutes runs in seconds
 * while the handlers still see time pass (deadlines, bake windows, history).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A signal that aborts after `ms` of this clock's time (default: `AbortSignal.timeout`, real time). */
  timeoutSignal?(ms: number): AbortSignal;
}

const systemClock: Clock = { now: () => Date.now() };
let current: Clock = systemClock;

/** Current time in epoch milliseconds. */
export function now(): number {
  return current.now();
}

/** A signal that aborts, with a TimeoutError, after `ms` of the clock's time: for request timeouts. */
export function timeoutSignal(ms: number): AbortSignal {
  return current.timeoutSignal?.(ms) ?? AbortSignal.timeout(ms);
}

/** Current time as an ISO-8601 string. */
export function nowIso(): string {
  return new Date(current.now()).toISOString();
}

/** Replace the clock (local rehearsal only); returns a function that restores the previous one. */
export function useClock(clock: Clock): () => void {
  const previous = current;
  current = clock;
  return () => {
    current = previous;
  };
}

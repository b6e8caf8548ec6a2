/**
 * Virtual time for the local rehearsal.
 *
 * Waits are not slept. Every running execution is either busy (its handlers
 * answer from memory, in microseconds) or asleep in a Wait state. When every
 * running execution is asleep, the clock jumps to the earliest wake-up time
 * (or timer) and wakes whoever is due: a discrete-event simulation, so
 * several concurrent deployments still interleave exactly as their Waits say.
 */
import type { Clock } from '../lambdas/shared/clock.ts';

interface Sleeper {
  wakeAt: number;
  wake: () => void;
  /** The execution asleep, so its sleep can be forgotten when it is stopped. */
  owner: string | undefined;
}

interface Timer {
  at: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private time: number;
  private running = 0;
  private sleepers: Sleeper[] = [];
  private timers: Timer[] = [];
  private checkScheduled = false;

  /** @param start epoch milliseconds the rehearsal starts at. */
  public constructor(start: number) {
    this.time = start;
  }

  public now(): number {
    return this.time;
  }

  /** An execution started: time may only advance while it sleeps. */
  public begin(): void {
    this.running++;
  }

  /** An execution ended. */
  public end(): void {
    this.running--;
    this.scheduleCheck();
  }

  /** Sleep `seconds` of virtual time, on behalf of `owner` (an execution). */
  public sleep(seconds: number, owner?: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.sleepers.push({ wakeAt: this.time + Math.max(0, seconds) * 1000, wake: resolve, owner });
      this.scheduleCheck();
    });
  }

  /**
   * Forget the sleeps of `owner`, an execution that was stopped while asleep:
   * it will never wake, and must not be counted as a sleeper any more.
   */
  public forget(owner: string): void {
    this.sleepers = this.sleepers.filter((s) => s.owner !== owner);
  }

  /**
   * Call `fire` when virtual time reaches `at` (epoch ms), like a timeout.
   * A timer does not hold time back: the clock still only moves while every
   * execution sleeps. Returns the function that cancels it.
   */
  public at(at: number, fire: () => void): () => void {
    const timer: Timer = { at, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** A signal that aborts with a TimeoutError once `ms` of virtual time have passed (a request timeout). */
  public timeoutSignal(ms: number): AbortSignal {
    const controller = new AbortController();
    const cancel = this.at(this.time + ms, () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
    controller.signal.addEventListener('abort', cancel, { once: true });
    return controller.signal;
  }

  /** Move the clock forward by hand (between executions, e.g. "an hour later"). */
  public advance(seconds: number): void {
    this.time += seconds * 1000;
  }

  // Checked after pending I/O callbacks and microtasks, so a busy execution
  // has had the chance to reach its next Wait before we decide it sleeps.
  private scheduleCheck(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      if (this.sleepers.length === 0 || this.sleepers.length < this.running) return;
      const next = Math.min(...this.sleepers.map((s) => s.wakeAt), ...this.timers.map((t) => t.at));
      this.time = Math.max(this.time, next);
      // Timers first: a timeout that is due stops its execution before it would wake.
      const dueTimers = this.timers.filter((t) => t.at <= this.time);
      this.timers = this.timers.filter((t) => t.at > this.time);
      for (const timer of dueTimers) timer.fire();
      const due = this.sleepers.filter((s) => s.wakeAt <= this.time);
      this.sleepers = this.sleepers.filter((s) => s.wakeAt > this.time);
      for (const sleeper of due) sleeper.wake();
      // Look again: a fired timer may have stopped an execution without waking anyone, and a woken
      // sleeper may have had nobody waiting on it any more (a slow request that timed out meanwhile).
      // A woken execution that is busy again holds time back at the next check.
      if (dueTimers.length > 0 || due.length > 0) this.scheduleCheck();
    });
  }
}

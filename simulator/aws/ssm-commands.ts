/**
 * Run Command in the simulated SSM: commands, their invocations (one per
 * instance), rate control, and each invocation's timeline on the world's
 * virtual clock.
 *
 * Timeline of an invocation (virtual time):
 * - it exists from SendCommand, but is visible (ListCommandInvocations,
 *   GetCommandInvocation) only {@link VISIBILITY_MS} later, as in AWS, whose
 *   Run Command API is eventually consistent;
 * - `Pending` until it is sent to its instance: at once, or when a
 *   MaxConcurrency slot frees; an instance whose agent is offline does not
 *   get it until it comes back online (then it runs), or TimeoutSeconds
 *   after SendCommand (`TimedOut` / `DeliveryTimedOut`; it holds no slot
 *   meanwhile);
 * - `InProgress` {@link PICKUP_MS} after it is sent (the agent's poll);
 * - then `Success`, `Failed` (the script's exit code is its ResponseCode) or
 *   `TimedOut` / `ExecutionTimedOut` (executionTimeout), at its start plus
 *   its duration. The command text really runs with bash on the instance's
 *   local host, in real time; the duration on the virtual clock is the real
 *   time it took, rounded up to whole seconds, plus the host's `slowHost`
 *   seconds. While a real run goes on the world holds its clock (the
 *   `holdClock` option): virtual time does not pass faster than the work.
 *   A `hangHost` instance runs nothing and times out at its
 *   executionTimeout; a `failHost` one fails after a second.
 * - when the invocations that failed or timed out in execution exceed
 *   MaxErrors, invocations not yet sent end `Cancelled`;
 * - CancelCommand ends every invocation not yet over `Cancelled` (a running
 *   script is killed).
 *
 * Presigned S3 URLs in the command text are resolved when the invocation
 * starts (see {@link SsmRunContext.rewriteUrls}).
 */
import path from 'node:path';
import type { CloudWatchOutputConfig, Target } from '@aws-sdk/client-ssm';
import type { CommandRun, SimInstance } from './fleet.ts';
import { runShellScript } from '../vm/run-commands.ts';

/** How long after SendCommand its invocations become visible. */
export const VISIBILITY_MS = 1_000;
/** How long after an invocation is sent the agent starts it. */
export const PICKUP_MS = 1_000;
/** How long a `failHost` invocation runs before it fails. */
const FAIL_MS = 1_000;

/** An invocation's Status and StatusDetails once it is over. */
export type FinalStatus =
  | { status: 'Success'; details: 'Success' }
  | { status: 'Failed'; details: 'Failed' | 'Undeliverable' }
  | { status: 'TimedOut'; details: 'ExecutionTimedOut' | 'DeliveryTimedOut' }
  | { status: 'Cancelled'; details: 'Cancelled' };

/** How an invocation ended. */
export interface InvocationEnd {
  at: number;
  final: FinalStatus;
  /** -1 when the script did not run to an exit code. */
  responseCode: number;
  stdout: string;
  stderr: string;
}

/** One copy of a command, for one instance. */
export interface SimInvocation {
  readonly instance: SimInstance;
  /** When it was sent to the agent (virtual ms). */
  sentAt?: number;
  /** When the agent started it. */
  startedAt?: number;
  /** Sent while the agent was offline: waiting for it to come back. */
  awaitingDelivery: boolean;
  /** A real run goes on. */
  running: boolean;
  end?: InvocationEnd;
  /** Kills the real run. */
  abort?: AbortController;
}

/** A Run Command command, validated. */
export interface SimCommand {
  readonly commandId: string;
  readonly documentName: string;
  readonly comment: string;
  readonly parameters: Record<string, string[]>;
  readonly instanceIds: string[];
  readonly targets: Target[];
  readonly requestedAt: number;
  /** Delivery timeout (TimeoutSeconds). */
  readonly timeoutSeconds: number;
  /** Parameters.executionTimeout, seconds. */
  readonly executionTimeoutSeconds: number;
  readonly maxConcurrency: string;
  readonly maxErrors: string;
  readonly concurrencyLimit: number;
  readonly errorLimit: number;
  readonly cloudWatchOutputConfig: CloudWatchOutputConfig;
  readonly serviceRoleArn: string;
  /** The text the agent runs: the commands, one per line. */
  readonly text: string;
  readonly invocations: SimInvocation[];
  cancelledAt?: number;
  /** More invocations failed than MaxErrors allows: no more are sent. */
  stoppedAt?: number;
}

/** What the command scheduler needs from the world. */
export interface SsmRunContext {
  now(): number;
  /** Hold the world's clock while a real run goes on; returns the release. */
  hold(): () => void;
  /**
   * The command text an instance runs at `at`: presigned S3 URLs of
   * simulated objects replaced by local `file:///` URLs (no network in a
   * rehearsal), refused ones by a file that does not exist.
   */
  rewriteUrls(text: string, at: number): string;
}

/** Whole seconds, at least one, of a real duration. */
function virtualDurationMs(realMs: number): number {
  return Math.max(1, Math.ceil(realMs / 1000)) * 1000;
}

/** Whether an invocation's end counts against MaxErrors. */
export function countsAsError(end: InvocationEnd | undefined): boolean {
  return end !== undefined && (end.final.details === 'Failed' || end.final.details === 'ExecutionTimedOut');
}

/** Carries out the commands of the simulated SSM. */
export class CommandScheduler {
  private readonly running = new Set<Promise<void>>();

  public constructor(private readonly context: SsmRunContext) {}

  /** Start sending a new command's invocations. */
  public start(command: SimCommand): void {
    this.pump(command, command.requestedAt);
  }

  /** An instance's agent came back online at `at`: deliver what waits for it. */
  public deliverWaiting(commands: Iterable<SimCommand>, instance: SimInstance, at: number): void {
    for (const command of commands) {
      for (const invocation of command.invocations) {
        if (invocation.instance !== instance || !invocation.awaitingDelivery) continue;
        if (invocation.end !== undefined && invocation.end.at <= at) continue;
        invocation.awaitingDelivery = false;
        invocation.end = undefined;
        invocation.sentAt = at;
        this.execute(command, invocation, at);
      }
    }
  }

  /** CancelCommand at `at`: every invocation not over yet ends Cancelled. */
  public cancel(command: SimCommand, at: number): void {
    command.cancelledAt = at;
    for (const invocation of command.invocations) {
      if (invocation.end !== undefined && invocation.end.at <= at && !invocation.awaitingDelivery) continue;
      invocation.awaitingDelivery = false;
      invocation.abort?.abort();
      invocation.end = { at, final: { status: 'Cancelled', details: 'Cancelled' }, responseCode: -1, stdout: '', stderr: '' };
    }
  }

  /** Resolves when no real run goes on. */
  public async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Send invocations while slots are free, at virtual time `at`. */
  private pump(command: SimCommand, at: number): void {
    if (command.cancelledAt !== undefined) return;
    // Take the slots first, then send: an invocation that ends at once pumps again at its own end time.
    let free = command.concurrencyLimit - this.inFlight(command, at);
    const sending: SimInvocation[] = [];
    for (const invocation of command.invocations) {
      if (invocation.sentAt !== undefined || invocation.end !== undefined) continue;
      if (command.stoppedAt !== undefined) {
        invocation.end = { at: command.stoppedAt, final: { status: 'Cancelled', details: 'Cancelled' }, responseCode: -1, stdout: '', stderr: '' };
        continue;
      }
      if (free <= 0) break;
      invocation.sentAt = at;
      sending.push(invocation);
      free -= 1;
    }
    for (const invocation of sending) this.send(command, invocation, at);
    // An instance waiting for its agent holds no slot: fill it.
    if (sending.some((i) => i.awaitingDelivery)) this.pump(command, at);
  }

  /** Invocations holding a slot at `at`: sent, delivered, not over. */
  private inFlight(command: SimCommand, at: number): number {
    return command.invocations.filter(
      (i) => i.sentAt !== undefined && !i.awaitingDelivery && (i.end === undefined || i.end.at > at),
    ).length;
  }

  private send(command: SimCommand, invocation: SimInvocation, at: number): void {
    invocation.sentAt = at;
    const { instance } = invocation;
    const deliveryDeadline = command.requestedAt + command.timeoutSeconds * 1000;
    if (instance.state === 'terminated' || !instance.managed) {
      invocation.end = { at, final: { status: 'Failed', details: 'Undeliverable' }, responseCode: -1, stdout: '', stderr: '' };
      return;
    }
    if (at >= deliveryDeadline) {
      invocation.end = { at: deliveryDeadline, final: { status: 'TimedOut', details: 'DeliveryTimedOut' }, responseCode: -1, stdout: '', stderr: '' };
      return;
    }
    if (!instance.online) {
      // Delivered if the agent comes back before the deadline (deliverWaiting), else this stands.
      invocation.awaitingDelivery = true;
      invocation.end = { at: deliveryDeadline, final: { status: 'TimedOut', details: 'DeliveryTimedOut' }, responseCode: -1, stdout: '', stderr: '' };
      return;
    }
    this.execute(command, invocation, at);
  }

  private execute(command: SimCommand, invocation: SimInvocation, sentAt: number): void {
    const startedAt = sentAt + PICKUP_MS;
    invocation.startedAt = startedAt;
    const fault = invocation.instance.fault;
    const executionMs = command.executionTimeoutSeconds * 1000;
    if (fault?.kind === 'hang') {
      this.finish(command, invocation, {
        at: startedAt + executionMs,
        final: { status: 'TimedOut', details: 'ExecutionTimedOut' },
        responseCode: -1,
        stdout: '',
        stderr: 'failed to run commands: the command did not finish before its execution timeout',
      });
      return;
    }
    if (fault?.kind === 'fail') {
      this.finish(command, invocation, { at: startedAt + FAIL_MS, final: { status: 'Failed', details: 'Failed' }, responseCode: 1, stdout: '', stderr: fault.message });
      return;
    }
    const slowMs = fault?.kind === 'slow' ? fault.seconds * 1000 : 0;
    const release = this.context.hold();
    const abort = new AbortController();
    invocation.abort = abort;
    invocation.running = true;
    // Through a promise even when the runner throws at once: the clock must always be let go.
    const work = Promise.resolve()
      .then(() => this.runReal(command, invocation, startedAt, abort.signal))
      .then((run) => {
        invocation.running = false;
        if (command.cancelledAt !== undefined && invocation.end !== undefined) return;
        const duration = Math.min(virtualDurationMs(run.durationMs) + slowMs, executionMs);
        const timedOut = run.timedOut || virtualDurationMs(run.durationMs) + slowMs > executionMs;
        const final: FinalStatus = timedOut
          ? { status: 'TimedOut', details: 'ExecutionTimedOut' }
          : run.exitCode === 0
            ? { status: 'Success', details: 'Success' }
            : { status: 'Failed', details: 'Failed' };
        this.finish(command, invocation, { at: startedAt + duration, final, responseCode: timedOut ? -1 : (run.exitCode ?? -1), stdout: run.stdout, stderr: run.stderr });
      })
      .catch((error: unknown) => {
        invocation.running = false;
        const message = error instanceof Error ? error.message : String(error);
        this.finish(command, invocation, { at: startedAt + 1000, final: { status: 'Failed', details: 'Failed' }, responseCode: 1, stdout: '', stderr: message });
      })
      .finally(() => {
        release();
        this.running.delete(work);
      });
    this.running.add(work);
  }

  private runReal(command: SimCommand, invocation: SimInvocation, startedAt: number, signal: AbortSignal): Promise<CommandRun> {
    const { instance } = invocation;
    const text = this.context.rewriteUrls(command.text, startedAt);
    const workDir = path.join(instance.workDir, '.ssm', command.commandId);
    const timeoutMs = command.executionTimeoutSeconds * 1000;
    if (instance.runner !== undefined) return instance.runner(text, { timeoutMs, workDir });
    return runShellScript(text, { cwd: instance.workDir, workDir, timeoutMs, signal });
  }

  private finish(command: SimCommand, invocation: SimInvocation, end: InvocationEnd): void {
    invocation.end = end;
    if (command.cancelledAt !== undefined) return;
    if (countsAsError(end) && command.stoppedAt === undefined) {
      const errors = command.invocations.filter((i) => countsAsError(i.end)).length;
      if (errors > command.errorLimit) command.stoppedAt = end.at;
    }
    this.pump(command, end.at);
  }
}

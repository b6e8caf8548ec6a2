/**
 * The lines `deployer watch` and `deployer deploy --wait` print while they
 * follow an execution: one line when the deployment moves (a new state, a
 * step, a VM batch or its hosts, a traffic split, a verdict), prefixed with
 * the time since the execution started. Polling loops (verify, wait,
 * verify...) print each of their states once per step (or batch), then only
 * what changes.
 */
import { formatDuration } from '../../../lambdas/shared/duration.ts';
import type { ExecutionProgress } from './execution-progress.ts';
import { batchSentence, hostRollbackSentence, progressSentence, trafficSentence } from './format-status.ts';
import type { ListenerTraffic } from './listener-traffic.ts';

/** `+4:05`, `+1:02:03`: time since the execution started, for the start of a line. */
export function elapsedLabel(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `+${h}:${String(m).padStart(2, '0')}:${s}` : `+${m}:${s}`;
}

/** How long a deployment took, for people: `12m3s`, `0s`. */
export function durationText(fromIso: string | Date, to: Date): string {
  const from = typeof fromIso === 'string' ? Date.parse(fromIso) : fromIso.getTime();
  return Number.isNaN(from) ? '?' : formatDuration(Math.round((to.getTime() - from) / 1000));
}

/** A column of 9 characters for the elapsed time, then the text. */
export function timedLine(elapsedMs: number, text: string): string {
  return `${elapsedLabel(elapsedMs).padStart(9)}  ${text}\n`;
}

/** What one poll saw of a running execution. */
export interface ProgressView {
  seen: ExecutionProgress;
  traffic?: ListenerTraffic;
  /** How many steps the deployment has (canary, blue-green). */
  steps?: number;
}

/** Remembers what was printed, and says what a new poll adds. */
export class ProgressLines {
  private context = '';
  private readonly statesInContext = new Set<string>();
  private progress: string | undefined;
  private batch: string | undefined;
  private batchKey: string | undefined;
  private hostRollback: string | undefined;
  private traffic: string | undefined;
  private verdict: string | undefined;

  /**
   * @param startedAt when the execution started: lines show the time since then.
   * @param approvalHint the commands that answer an approval, printed when the deployment waits for one.
   * @param kind what the deployment deploys: an ECS revision or a VM release (the wording of its steps).
   */
  public constructor(
    private readonly startedAt: Date,
    private readonly approvalHint: string,
    private readonly kind: 'ecs' | 'vm' = 'ecs',
  ) {}

  /** The lines a poll at `now` adds (empty when nothing moved). */
  public next(view: ProgressView, now: Date): string {
    const { seen } = view;
    const progress = seen.progress === undefined ? undefined : progressSentence(seen.progress, view.steps, this.kind);
    const batch = seen.batch === undefined ? undefined : batchSentence(seen.batch);
    const hostRollback = seen.hostRollback === undefined ? undefined : hostRollbackSentence(seen.hostRollback);
    const traffic = view.traffic === undefined ? undefined : trafficSentence(view.traffic);
    const parts: string[] = [];
    if (progress !== undefined && progress !== this.progress) parts.push(progress);
    if (batch !== undefined && batch !== this.batch) parts.push(batch);
    if (hostRollback !== undefined && hostRollback !== this.hostRollback) parts.push(hostRollback);
    if (traffic !== undefined && traffic !== this.traffic) parts.push(`traffic: ${traffic}`);
    if (seen.verdict !== undefined && seen.verdict !== this.verdict) parts.push(`verdict: ${seen.verdict}`);
    this.progress = progress ?? this.progress;
    this.batch = batch ?? this.batch;
    this.hostRollback = hostRollback ?? this.hostRollback;
    this.traffic = traffic ?? this.traffic;
    this.verdict = seen.verdict ?? this.verdict;
    if (seen.batch !== undefined) this.batchKey = `${seen.batch.group} ${seen.batch.index}`;
    const state = seen.state?.name;
    // A new step, VM batch (not its hosts' counts, which move every poll) or traffic split starts a new context: its states are shown again.
    const context = `${this.progress ?? ''}|${this.batchKey ?? ''}|${this.traffic ?? ''}`;
    if (context !== this.context) {
      this.context = context;
      this.statesInContext.clear();
    }
    const newState = state !== undefined && !this.statesInContext.has(state);
    if (!newState && parts.length === 0) return '';
    if (state !== undefined) this.statesInContext.add(state);
    const at = newState && seen.state !== undefined ? Date.parse(seen.state.enteredAt) : now.getTime();
    const text = `${(state ?? '').padEnd(24)} ${parts.join(' · ')}`.trimEnd();
    let lines = timedLine(at - this.startedAt.getTime(), text);
    if (newState && state === 'RequestApproval') lines += `${' '.repeat(11)}waiting for an approval: ${this.approvalHint}\n`;
    return lines;
  }
}

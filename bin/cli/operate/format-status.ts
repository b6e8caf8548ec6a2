/**
 * `deployer status` as text for people: one block per service.
 */
import { formatDuration } from '../../../lambdas/shared/duration.ts';
import type { Progress } from '../../../lambdas/shared/operator-requests.ts';
import type { BatchSeen, HostCounts } from './execution-progress.ts';
import type { ListenerTraffic } from './listener-traffic.ts';
import type { IdleServiceStatus, RunningServiceStatus, ServiceStatus } from './service-status.ts';
import { executionNameOf } from './running-deployment.ts';

/** `2026-01-31T12:00:00.000Z` relative to `now`: `6m ago`, `in 3h54m`. */
function relative(iso: string, now: Date): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const seconds = Math.round((ms - now.getTime()) / 1000);
  if (Math.abs(seconds) < 1) return ' (now)';
  return seconds < 0 ? ` (${formatDuration(-seconds)} ago)` : ` (in ${formatDuration(seconds)})`;
}

/** `, START to END (2h ago)`, `, START (5m ago)` while it has no end, or nothing. */
function period(startedAt: string | undefined, endedAt: string | undefined, now: Date): string {
  if (startedAt === undefined) return '';
  return endedAt === undefined ? `, ${startedAt}${relative(startedAt, now)}` : `, ${startedAt} to ${endedAt}${relative(endedAt, now)}`;
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(18)}${text}`;
}

function idleLines(s: IdleServiceStatus, now: Date): string[] {
  const lines = [`${s.service}  ${s.strategy}  idle`];
  if (s.staleLock !== undefined) {
    lines.push(
      row('stale lock', `still names ${executionNameOf(s.staleLock.executionArn)} (${s.staleLock.executionStatus}); the next deployment takes it over`),
    );
  }
  const last = s.lastDeployment;
  if (last === null) {
    lines.push(row('last deployment', 'none recorded'));
    return lines;
  }
  const by = last.startedBy === undefined ? undefined : `by ${last.startedBy}`;
  const outside = last.outsideTagPattern === true ? '(outside tagPattern)' : undefined;
  const what = [last.status, last.imageTag, outside, by].filter((w) => w !== undefined).join(' ');
  lines.push(row('last deployment', `${what}${period(last.startedAt, last.endedAt, now)}`));
  if (last.image !== undefined) lines.push(row('', last.image));
  if (last.reason !== undefined) lines.push(row('', last.reason));
  return lines;
}

/**
 * `step 2 of 5: 25% on the new revision (bake)`: where a deployment is, for
 * people. A VM deployment deploys a release: `… on the new release`, and a
 * VM canary's `canary: 34% of the hosts on the new release`.
 */
export function progressSentence(p: Progress, steps: number | undefined, kind: 'ecs' | 'vm' = 'ecs'): string {
  const what = kind === 'vm' ? 'release' : 'revision';
  // Only a VM canary has this phase: its first batch, waiting for its approval.
  if (p.phase === 'canary') return `canary: ${p.weight}% of the hosts on the new release`;
  if (p.step < 0) return `before the first step: ${p.weight}% on the new ${what} (${p.phase})`;
  const of = steps === undefined ? '' : ` of ${steps}`;
  return `step ${p.step + 1}${of}: ${p.weight}% on the new ${what} (${p.phase})`;
}

/** `3 of 4 hosts deployed, 1 failed`: a batch's (or a rollback's) hosts, `done` naming what the succeeded ones are. */
function hostsSentence(h: HostCounts, done: string): string {
  const parts = [`${h.succeeded} of ${h.hostCount} host${h.hostCount === 1 ? '' : 's'} ${done}`];
  if (h.failed > 0) parts.push(`${h.failed} failed`);
  if (h.running > 0) parts.push(`${h.running} running`);
  return parts.join(', ');
}

/** `batch 2 of 3: 1 of 2 hosts deployed, 1 running`; blue-green says which group: `batch 1 of 1 (green hosts)`. */
export function batchSentence(b: BatchSeen): string {
  const which = `batch ${b.index + 1} of ${b.count}${b.group === 'fleet' ? '' : ` (${b.group} hosts)`}`;
  return b.hosts === undefined ? which : `${which}: ${hostsSentence(b.hosts, 'deployed')}`;
}

/** `rolling back: 2 of 3 hosts back on their release, 1 running`. */
export function hostRollbackSentence(h: HostCounts): string {
  return `rolling back: ${hostsSentence(h, 'back on their release')}`;
}

/** `primary checkout 75%, canary checkout-canary 25%`, or why the split is unknown. */
export function trafficSentence(traffic: ListenerTraffic): string {
  return 'shares' in traffic ? traffic.shares.map((share) => `${share.label} ${share.percent}%`).join(', ') : `unknown: ${traffic.error}`;
}

function progressText(s: RunningServiceStatus): string | undefined {
  return s.progress === undefined ? undefined : progressSentence(s.progress, s.steps, s.kind);
}

function runningLines(s: RunningServiceStatus, now: Date): string[] {
  const e = s.execution;
  const headline = { running: 'deploying', 'waiting-for-approval': 'waiting for approval', restoring: 'restoring' }[s.state];
  const lines = [`${s.service}  ${s.strategy}  ${headline}`];
  const by = e.startedBy === undefined ? '' : ` by ${e.startedBy}`;
  const why = e.reason === undefined ? '' : `: ${e.reason}`;
  lines.push(row('execution', `${e.name}, started ${e.startedAt}${relative(e.startedAt, now)}${by}${why}`));
  lines.push(row('console', e.consoleUrl));
  if (s.restoring !== undefined) lines.push(row('restoring', `what ran before ${s.restoring.name} (${s.restoring.reason})`));
  if (s.image !== undefined) lines.push(row('image', s.image));
  if (s.currentState !== undefined) {
    lines.push(row('state', `${s.currentState.name} since ${s.currentState.enteredAt}${relative(s.currentState.enteredAt, now)}`));
  }
  const progress = progressText(s);
  if (progress !== undefined) lines.push(row('progress', progress));
  if (s.batch !== undefined) lines.push(row('batch', batchSentence(s.batch)));
  if (s.hostRollback !== undefined) lines.push(row('hosts', hostRollbackSentence(s.hostRollback)));
  if (s.verdict !== undefined) lines.push(row('last verdict', s.verdict));
  if (s.traffic !== undefined) lines.push(row('traffic', trafficSentence(s.traffic)));
  if (s.promoteRequested !== undefined) {
    const asked = s.promoteRequested;
    lines.push(row('promote', `asked by ${asked.requestedBy} at ${asked.requestedAt}${relative(asked.requestedAt, now)}`));
  }
  const a = s.approval;
  if (a !== undefined) {
    const since = `${a.requestedAt}${relative(a.requestedAt, now)}`;
    const until = `${a.timeoutAt}${relative(a.timeoutAt, now)}`;
    lines.push(row('approval', `${a.at}, waiting since ${since}, counts as rejected at ${until}`));
    lines.push(row('', `approve: ${a.approve}`));
    lines.push(row('', `reject:  ${a.reject}`));
  }
  return lines;
}

/** The services' status as text, a blank line between services. */
export function formatStatus(statuses: readonly ServiceStatus[], now: Date): string {
  return statuses.map((s) => (s.state === 'idle' ? idleLines(s, now) : runningLines(s, now)).join('\n')).join('\n\n');
}

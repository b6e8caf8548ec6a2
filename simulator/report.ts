/**
 * What a rehearsal reports: the `--json` object of `deployer simulate`, and
 * the readable timeline printed without `--json`.
 */
import { deploymentOutcome, type Outcome } from '../lambdas/shared/outcome.ts';
import type { Snapshot } from './aws/world.ts';
import type { ExecutionRecord, StateVisit } from './local-state-machine.ts';

/** One traffic step as it went. */
export interface StepReport {
  /** Index into the deployment's steps. */
  step: number;
  kind: 'weight' | 'approval';
  weight?: number;
  /** The last verdict of the step (weight steps), or how the approval was answered. */
  verdict?: string;
}

/** The watcher's restore run, after a stop, a timeout or a failure outside a Catch. */
export interface RestoreReport {
  status: string;
  states: string[];
  error?: { error: string; cause: string };
}

export interface RehearsalReport {
  status: Outcome;
  service: string;
  strategy: string;
  states: string[];
  transitions: number;
  /** Events of the deployment's execution history, as Step Functions counts them (the limit is 25,000). */
  historyEvents: number;
  /** The largest state input or output of the deployment, in bytes (the limit is 256 KB). */
  maxPayloadBytes: number;
  /** How long the same deployment would take in AWS (its restore run included). */
  virtualSeconds: number;
  lambdaInvocations: number;
  error?: { error: string; cause: string };
  steps: StepReport[];
  restore?: RestoreReport;
  /** The messages the notification topic received (SNS). */
  notifications: string[];
  initial: Snapshot;
  final: Snapshot;
}

/** The message of a Lambda's JSON cause, or the cause as it is. */
export function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text cause
  }
  return cause;
}

function field(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

/** The steps of a traffic deployment, from the states it went through. */
export function stepsOf(record: ExecutionRecord): StepReport[] {
  const steps = new Map<number, StepReport>();
  for (const visit of record.visits) {
    const step = field(visit.output, 'progress.step');
    const current = field(visit.output, 'progress.current') as { kind?: string; weight?: number } | undefined;
    if (typeof step !== 'number' || current?.kind === undefined) continue;
    const entry = steps.get(step) ?? { step, kind: current.kind === 'approval' ? 'approval' : 'weight' };
    if (current.weight !== undefined) entry.weight = current.weight;
    if (visit.name === 'Verify' && visit.error === undefined) {
      const verdict = field(visit.output, 'verification.verdict');
      if (typeof verdict === 'string') entry.verdict = verdict;
    }
    if (visit.name === 'RequestApproval') {
      const by = field(visit.output, 'approval.approvedBy');
      entry.verdict = typeof by === 'string' ? `approved by ${by}` : entry.verdict;
    }
    if (visit.error !== undefined) entry.verdict = `${visit.error.error}: ${causeMessage(visit.error.cause)}`;
    steps.set(step, entry);
  }
  return [...steps.values()].sort((a, b) => a.step - b.step);
}

function seconds(record: ExecutionRecord): number {
  return ((record.stoppedAt ?? record.startedAt) - record.startedAt) / 1000 + record.retryDelaySeconds;
}

export interface ReportInput {
  record: ExecutionRecord;
  service: string;
  strategy: string;
  initial: Snapshot;
  final: Snapshot;
  /** The status the deployment history recorded. */
  recorded?: string;
  restore?: ExecutionRecord;
  notifications?: string[];
}

export function buildReport(input: ReportInput): RehearsalReport {
  const { record, restore } = input;
  const end = restore?.stoppedAt ?? record.stoppedAt ?? record.startedAt;
  const report: RehearsalReport = {
    status: deploymentOutcome({ status: record.status, error: record.error?.error ?? null, recorded: input.recorded ?? null }) ?? 'FAILED',
    service: input.service,
    strategy: input.strategy,
    states: record.visits.map((v) => v.name),
    transitions: record.transitions + (restore?.transitions ?? 0),
    historyEvents: record.historyEvents,
    maxPayloadBytes: record.maxPayloadBytes,
    virtualSeconds: Math.round(restore === undefined ? seconds(record) : (end - record.startedAt) / 1000 + record.retryDelaySeconds + restore.retryDelaySeconds),
    lambdaInvocations: record.invocations + (restore?.invocations ?? 0),
    steps: stepsOf(record),
    notifications: input.notifications ?? [],
    initial: input.initial,
    final: input.final,
  };
  if (report.status !== 'SUCCEEDED') report.error = record.error ?? { error: 'Unknown', cause: 'no error recorded' };
  if (restore !== undefined) {
    report.restore = { status: restore.status, states: restore.visits.map((v) => v.name) };
    if (restore.error !== undefined) report.restore.error = restore.error;
  }
  return report;
}

function clockLabel(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `+${h}:${mm}` : `+${mm}`;
}

function short(arn: string): string {
  const tg = /:targetgroup\/([^/]+)\//.exec(arn);
  return tg?.[1] ?? arn.slice(arn.lastIndexOf('/') + 1);
}

function weightsNote(listeners: unknown): string {
  if (typeof listeners !== 'object' || listeners === null) return '';
  return Object.values(listeners as Record<string, Record<string, number>>)
    .map((weights) => {
      const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
      return Object.entries(weights)
        .map(([tg, w]) => `${short(tg)} ${total === 0 ? 0 : Math.round((w * 100) / total)}%`)
        .join(' / ');
    })
    .join('; ');
}

/** A short note on what a state did, from its output. */
function noteFor(visit: StateVisit): string {
  if (visit.error !== undefined) return `✗ ${visit.error.error}: ${causeMessage(visit.error.cause)}`;
  const out = visit.output;
  const rollout = (key: string): string => {
    const running = field(out, `${key}.runningCount`);
    const healthy = field(out, `${key}.healthyTargets`);
    const counts = running === undefined ? `${String(field(out, `${key}.desiredCount`))} tasks asked` : `${String(running)}/${String(field(out, `${key}.desiredCount`))} tasks`;
    const action = field(out, `${key}.action`);
    return `${String(field(out, `${key}.service`))} ${String(field(out, `${key}.state`)).toLowerCase().replace('_', ' ')}: ${counts}${healthy === undefined ? '' : `, ${String(healthy)} healthy`}${typeof action === 'string' ? ` (${action})` : ''}`;
  };
  switch (visit.name) {
    case 'ValidateInput':
      return `image pinned: ${String(field(out, 'deployment.image'))}`;
    case 'LockAcquired?':
      return `lock ${String(field(out, 'lock.status')).toLowerCase()}`;
    case 'ReadWeights':
      return `weights ${weightsNote(field(out, 'weights.listeners'))}`;
    case 'DescribeServices': {
      const services = field(out, 'snapshot.services') as Record<string, { service: string; exists: boolean; taskDefinitionArn?: string; desiredCount: number }> | undefined;
      return Object.entries(services ?? {})
        .map(([role, s]) => `${role} ${s.service}: ${s.exists ? `${String(s.taskDefinitionArn).split('/').pop()} ×${s.desiredCount}` : 'absent'}`)
        .join(', ');
    }
    case 'CaptureBaseline': {
      const alarms = field(out, 'baseline.alarmsInAlarm') as string[] | undefined;
      return alarms !== undefined && alarms.length > 0 ? `already in ALARM: ${alarms.join(', ')}` : '';
    }
    case 'RegisterTaskDefinition':
      return `registered ${String(field(out, 'target.taskDefinition'))}`;
    case 'PrepareCanary':
      return `${String(field(out, 'canary.service'))} ${field(out, 'canary.created') === true ? 'created' : 'ready'}`;
    case 'ShiftTraffic':
    case 'TrafficToPrimary':
    case 'RollbackWeights':
    case 'TestTrafficToIdle':
    case 'TestTrafficToOld': {
      const key = visit.name === 'RollbackWeights' ? 'rollbackWeights' : visit.name.startsWith('Test') ? 'testWeights' : 'weights';
      return `weights ${weightsNote(field(out, `${key}.listeners`))}`;
    }
    case 'LoadStep': {
      const current = field(out, 'progress.current') as { kind?: string; weight?: number; bakeSeconds?: number } | undefined;
      const step = Number(field(out, 'progress.step')) + 1;
      return current?.kind === 'approval' ? `step ${step}: approval` : `step ${step}: ${current?.weight ?? '?'}% for ${current?.bakeSeconds ?? 0}s`;
    }
    case 'RequestApproval': {
      const by = field(out, 'approval.approvedBy');
      return typeof by === 'string' ? `approved by ${by}` : '';
    }
    case 'Verify':
    case 'VerifyRollout':
    case 'VerifyKeepWarm':
    case 'TestIdle':
      return String(field(out, 'verification.verdict') ?? '');
    case 'CheckDrained':
    case 'CheckCanaryDrained':
    case 'CheckOldDrained':
    case 'CheckCanaryDrainedOnRollback':
    case 'CheckIdleDrainedOnRollback':
      return field(out, 'drain.drained') === true ? 'drained' : `${String(field(out, 'drain.requests') ?? 0)} request(s) in the last minutes`;
    case 'DeleteCanary':
    case 'DeleteCanaryOnRollback':
      return field(out, 'canaryDeleted.deleted') === true ? 'canary service deleted' : '';
    case 'RecordSuccess':
    case 'RecordRollback':
    case 'RecordFailure':
    case 'RecordRollbackFailure':
    case 'RecordSuperseded':
    case 'RecordRestored':
    case 'RecordRestoreFailure':
      return String(field(out, 'outcome.cause') ?? '');
    default: {
      // The ECS states: UpdateService, CheckCanary, RollbackPrimary, RemoveCanary...
      if (visit.type !== 'Task' || !/^(Update|Check|Scale|Deploy|Promote|Rollback|Restore|Remove)/.test(visit.name)) return '';
      const key = visit.name.includes('Rollback') ? 'rollback' : 'rollout';
      return field(out, `${key}.service`) !== undefined ? rollout(key) : '';
    }
  }
}

function describeSnapshot(snapshot: Snapshot): string[] {
  const services = Object.entries(snapshot.services).map(
    ([name, s]) => `${name}: ${s.taskDefinition}, ${s.desiredCount} tasks, image ${s.image}`,
  );
  const listeners = Object.entries(snapshot.listeners).map(([arn, weights]) => `${short(arn)}: ${weightsNote({ [arn]: weights })}`);
  return [...services, ...listeners];
}

function timeline(record: ExecutionRecord, origin: number, lines: string[]): void {
  let previous = '';
  let repeats = 0;
  const flush = (): void => {
    if (repeats > 0) lines.push(`           … ${repeats} more poll${repeats > 1 ? 's' : ''}`);
    repeats = 0;
  };
  record.visits.forEach((visit, index) => {
    const next = record.visits[index + 1];
    // Collapse poll loops (Wait -> Check -> Choice) to keep the timeline readable.
    const isPoll = visit.type === 'Wait' || visit.type === 'Choice' || visit.type === 'Pass';
    const note = noteFor(visit);
    const key = `${visit.name}|${note.replace(/\d+/g, '#')}`;
    if (isPoll && note === '' && next !== undefined) return;
    if (key === previous && visit.error === undefined) {
      repeats++;
      return;
    }
    flush();
    previous = key;
    lines.push(`  ${clockLabel(visit.enteredAt - origin).padStart(8)}  ${visit.name.padEnd(28)} ${note}`.trimEnd());
  });
  flush();
}

/** The human timeline of one rehearsed deployment (and its restore run). */
export function formatTimeline(record: ExecutionRecord, report: RehearsalReport, restore?: ExecutionRecord): string {
  const lines: string[] = [];
  lines.push(`Rehearsal of ${report.service} (${report.strategy}) — virtual time, nothing in AWS was touched`);
  lines.push('');
  lines.push('Before:');
  for (const line of describeSnapshot(report.initial)) lines.push(`  ${line}`);
  lines.push('');
  timeline(record, record.startedAt, lines);
  if (restore !== undefined) {
    lines.push('');
    lines.push(`Restore run ${restore.name} (started by the watcher after the execution ended ${record.status}):`);
    timeline(restore, record.startedAt, lines);
  }
  if (report.steps.length > 0) {
    lines.push('');
    lines.push('Steps:');
    for (const step of report.steps) {
      const what = step.kind === 'approval' ? 'approval' : `${step.weight ?? '?'}%`;
      lines.push(`  ${String(step.step + 1).padStart(2)}. ${what.padEnd(9)} ${step.verdict ?? '(not reached)'}`);
    }
  }
  if (report.notifications.length > 0) {
    lines.push('');
    lines.push('Notifications (SNS):');
    for (const message of report.notifications) lines.push(`  ${message}`);
  }
  lines.push('');
  lines.push('After:');
  for (const line of describeSnapshot(report.final)) lines.push(`  ${line}`);
  lines.push('');
  const minutes = Math.floor(report.virtualSeconds / 60);
  const secs = report.virtualSeconds % 60;
  lines.push(
    `Result: ${report.status} in ${minutes}m${String(secs).padStart(2, '0')}s of AWS time (${report.transitions} state transitions, ${report.lambdaInvocations} Lambda invocations)`,
  );
  if (report.error !== undefined) lines.push(`Reason: ${report.error.error}: ${causeMessage(report.error.cause)}`);
  return lines.join('\n');
}

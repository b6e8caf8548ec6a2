/**
 * What a rehearsal reports: the `--json` object of `deployer simulate`, and
 * the readable timeline printed without `--json`.
 */
import type { Snapshot } from './aws/world.ts';
import type { ExecutionRecord, StateVisit } from './local-state-machine.ts';

export type RehearsalStatus = 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED' | 'SUPERSEDED';

export interface RehearsalReport {
  status: RehearsalStatus;
  service: string;
  strategy: string;
  states: string[];
  transitions: number;
  /** How long the same deployment would take in AWS. */
  virtualSeconds: number;
  lambdaInvocations: number;
  error?: { error: string; cause: string };
  initial: Snapshot;
  final: Snapshot;
}

/** The deployer's verdict on an execution, from the state it ended in. */
export function statusOf(record: ExecutionRecord): RehearsalStatus {
  if (record.status === 'SUCCEEDED') return 'SUCCEEDED';
  const last = record.visits[record.visits.length - 1]?.name;
  if (last === 'Superseded') return 'SUPERSEDED';
  if (last === 'RolledBack') return 'ROLLED_BACK';
  return 'FAILED';
}

export function buildReport(
  record: ExecutionRecord,
  service: string,
  strategy: string,
  initial: Snapshot,
  final: Snapshot,
): RehearsalReport {
  const report: RehearsalReport = {
    status: statusOf(record),
    service,
    strategy,
    states: record.visits.map((v) => v.name),
    transitions: record.transitions,
    virtualSeconds: Math.round(((record.stoppedAt ?? record.startedAt) - record.startedAt) / 1000 + record.retryDelaySeconds),
    lambdaInvocations: record.invocations,
    initial,
    final,
  };
  if (report.status !== 'SUCCEEDED') report.error = record.error ?? { error: 'Unknown', cause: 'no error recorded' };
  return report;
}

function clockLabel(ms: number): string {
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `+${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function field(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

/** A short note on what a state did, from its output. */
function noteFor(visit: StateVisit): string {
  if (visit.error !== undefined) {
    let cause = visit.error.cause;
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: string };
      if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
    } catch {
      // plain text cause
    }
    return `✗ ${visit.error.error}: ${cause}`;
  }
  const out = visit.output;
  switch (visit.name) {
    case 'ValidateInput':
      return `image pinned: ${String(field(out, 'deployment.image'))}`;
    case 'LockAcquired?':
      return `lock ${String(field(out, 'lock.status')).toLowerCase()}`;
    case 'DescribeService':
      return `running ${String(field(out, 'current.taskDefinitionArn')).split('/').pop()} (${String(field(out, 'current.desiredCount'))} tasks)`;
    case 'RegisterTaskDefinition':
      return `registered ${String(field(out, 'target.taskDefinition'))}`;
    case 'UpdateService':
    case 'RollbackService':
      return 'ECS rolling update started';
    case 'CheckRollout':
    case 'CheckRollback': {
      const key = visit.name === 'CheckRollout' ? 'rollout' : 'rollback';
      return `${String(field(out, `${key}.state`))}: ${String(field(out, `${key}.runningCount`))}/${String(field(out, `${key}.desiredCount`))} tasks running`;
    }
    case 'Verify':
      return String(field(out, 'verification.lastCheck') ?? '');
    case 'RecordSuccess':
    case 'RecordRollback':
    case 'RecordFailure':
    case 'RecordRollbackFailure':
    case 'RecordSuperseded':
      return String(field(out, 'outcome.cause') ?? '');
    default:
      return '';
  }
}

function describeSnapshot(snapshot: Snapshot): string[] {
  return Object.entries(snapshot.services).map(
    ([name, s]) => `${name}: ${s.taskDefinition}, ${s.desiredCount} tasks, image ${s.image}`,
  );
}

/** The human timeline of one rehearsed execution. */
export function formatTimeline(record: ExecutionRecord, report: RehearsalReport): string {
  const lines: string[] = [];
  lines.push(`Rehearsal of ${report.service} (${report.strategy}) — virtual time, nothing in AWS was touched`);
  lines.push('');
  lines.push('Before:');
  for (const line of describeSnapshot(report.initial)) lines.push(`  ${line}`);
  lines.push('');
  let previous = '';
  let repeats = 0;
  const flush = (): void => {
    if (repeats > 0) lines.push(`           … ${repeats} more poll${repeats > 1 ? 's' : ''}`);
    repeats = 0;
  };
  record.visits.forEach((visit, index) => {
    const next = record.visits[index + 1];
    // Collapse poll loops (Wait -> Check -> Choice) to keep the timeline readable.
    const isPoll = visit.type === 'Wait' || visit.type === 'Choice';
    const note = noteFor(visit);
    const key = `${visit.name}|${note.replace(/\d+\/\d+/, '')}`;
    if (isPoll && note === '' && next !== undefined) return;
    if (key === previous && visit.error === undefined) {
      repeats++;
      return;
    }
    flush();
    previous = key;
    lines.push(`  ${clockLabel(visit.enteredAt - record.startedAt)}  ${visit.name.padEnd(24)} ${note}`.trimEnd());
  });
  flush();
  lines.push('');
  lines.push('After:');
  for (const line of describeSnapshot(report.final)) lines.push(`  ${line}`);
  lines.push('');
  const minutes = Math.floor(report.virtualSeconds / 60);
  const seconds = report.virtualSeconds % 60;
  lines.push(
    `Result: ${report.status} in ${minutes}m${String(seconds).padStart(2, '0')}s of AWS time (${report.transitions} state transitions, ${report.lambdaInvocations} Lambda invocations)`,
  );
  if (report.error !== undefined) lines.push(`Reason: ${report.error.error}: ${report.error.cause}`);
  return lines.join('\n');
}

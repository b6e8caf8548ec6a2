/**
 * A VM deployment of a 1,000-host fleet in 10% batches through the real
 * `vm-*.asl.json` files, run by the local runner with stand-ins for the
 * handlers (every batch takes five minutes, every check passes unless a batch
 * is told to fail): what the state machines themselves cost in transitions,
 * history events and state size. Used by the limits test and `npm run bench`.
 */
import type { LambdaHandler } from '../../lambdas/shared/handler.ts';
import type { VmDeployment } from '../../lambdas/shared/vm-deployment.ts';
import type { BatchProgress } from '../../lambdas/vm/batch-progress.ts';
import type { FleetSummary } from '../../lambdas/vm/fleet.ts';
import { LocalStateMachine, type ExecutionRecord } from '../../simulator/local-state-machine.ts';
import { VirtualClock } from '../../simulator/virtual-clock.ts';
import { vmDeployment } from '../lambdas/vm/vm-fixtures.ts';

export const HOSTS = 1000;
export const BATCH_SECONDS = 300;
export const TEN_PERCENT_BATCHES = ['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%'];

/** Run `file` for a fleet of 1,000 hosts; every batch takes BATCH_SECONDS, every check passes. */
export async function rehearseFleet(
  file: string,
  deployment: VmDeployment,
  failBatch?: number,
): Promise<{ record: ExecutionRecord; polls: number; batchesStarted: number; modes: string[]; bakes: number[] }> {
  const clock = new VirtualClock(Date.parse('2026-01-31T12:00:00Z'));
  const world = { account: '123456789012', region: 'us-east-1', withCaller: <T>(_c: unknown, fn: () => Promise<T>) => fn() };
  const batchCount = TEN_PERCENT_BATCHES.length;
  const fleet: FleetSummary = {
    group: 'fleet',
    executor: 'ssm',
    hostCount: HOSTS,
    batchCount,
    batches: Array.from({ length: batchCount }, (_, i) => i),
    lastBatch: batchCount - 1,
    firstBatches: [0],
    restBatches: Array.from({ length: batchCount - 1 }, (_, i) => i + 1),
    firstBatchPercent: 10,
    skippedCount: 0,
    skipped: [],
  };
  const started = new Map<number, number>();
  const modes: string[] = [];
  /** The bake of each verification window, in the order they were checked first. */
  const bakes: number[] = [];
  let polls = 0;
  const stub = (fn: (event: Record<string, unknown>) => unknown): LambdaHandler<unknown> => (event) => Promise.resolve(fn(event as Record<string, unknown>));
  const handlers: Record<string, LambdaHandler<unknown>> = {
    ValidateInput: stub(() => deployment),
    AcquireLock: stub(() => ({ status: 'ACQUIRED' })),
    AwaitLock: stub(() => ({})),
    // As RecordEvent answers: the outcome the final states report.
    RecordEvent: stub((e) => (e.phase === 'ROLLED_BACK' ? { status: 'ROLLED_BACK', error: 'BatchFailed', cause: 'rolled back api: BatchFailed' } : { status: 'IN_PROGRESS', cause: 'recorded' })),
    ReleaseLock: stub(() => ({ released: true })),
    ReadWeights: stub(() => ({ listeners: {}, sides: { live: 'blue', idle: 'green' } })),
    SetWeights: stub(() => ({ listeners: {}, changed: true, setAt: clock.now() })),
    ResolveHosts: stub(() => fleet),
    CaptureBaseline: stub(() => ({ alarmsInAlarm: [], reference: { requests: 0, errors: 0, errorRate: 0, from: 0, to: 0 }, capturedAt: clock.now() })),
    SetBatchTargets: stub((e) => ({ targets: HOSTS / batchCount, drained: e.action !== 'deregister' })),
    StartSsmBatch: stub((e) => {
      modes.push(String(e.mode));
      if (e.mode === 'rollback') return { hostCount: 250, notStarted: 0, commandIds: ['c-9'] };
      started.set(Number(e.batch), clock.now());
      return { hostCount: HOSTS / batchCount, notStarted: 0, commandIds: ['c-1', 'c-2'] };
    }),
    PollSsmBatch: stub((e): BatchProgress => {
      polls += 1;
      if (e.mode === 'rollback') return { done: true, hostCount: 250, succeeded: 250, failed: 0, running: 0, allowedFailures: 0, failedHosts: [], at: clock.now() };
      const done = clock.now() - (started.get(Number(e.batch)) ?? 0) >= BATCH_SECONDS * 1000;
      if (done && Number(e.batch) === failBatch) throw Object.assign(new Error('batch 3: 2 of 100 host(s) failed'), { name: 'BatchFailed' });
      const size = HOSTS / batchCount;
      return { done, hostCount: size, succeeded: done ? size : 0, failed: 0, running: done ? 0 : size, allowedFailures: 0, failedHosts: [], at: clock.now() };
    }),
    Verify: stub((e) => {
      const window = e.window as { since: number; bakeSeconds: number };
      const previous = e.previous as { checks: number; reference?: unknown };
      if (previous.checks === 0) bakes.push(window.bakeSeconds);
      const done = clock.now() >= window.since + window.bakeSeconds * 1000;
      // As Verify does: the reference figures travel from check to check.
      return { checks: previous.checks + 1, done, startedAt: clock.now(), consecutiveHealthFailures: 0, ...(previous.reference === undefined ? {} : { reference: previous.reference }) };
    }),
    RequestApproval: stub(() => ({})),
    LoadRestore: stub(() => ({})),
    StartSshBatch: stub(() => ({})),
    PollSshBatch: stub(() => ({})),
    ResolveSshHosts: stub(() => ({})),
  };
  const machine = new LocalStateMachine({ file, stateMachineName: 'EcsDeployer-vm', clock, world, handlers });
  const record = await machine.start({ service: 'api', artifact: 's3://acme-artifacts/api/api-2.0.0.tar.gz' }).done;
  return { record, polls, batchesStarted: started.size, modes, bakes };
}

/** A deployment of `strategy` to the fleet in 10% batches (blue-green: two groups behind a listener, two steps, keep-warm). */
export function fleetDeployment(strategy: VmDeployment['strategy']): VmDeployment {
  const group = (colour: string) => ({
    executor: 'ssm' as const,
    ec2Tags: { app: 'api', colour },
    targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-${colour}/0123456789abcdef`,
  });
  return vmDeployment({
    strategy,
    batches: TEN_PERCENT_BATCHES,
    bakeSeconds: 300,
    canaryBakeSeconds: 600,
    ...(strategy === 'blue-green'
      ? {
          targets: undefined,
          blue: group('blue'),
          green: group('green'),
          loadBalancer: { listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod/0123456789abcdef/0123456789abcdef' },
          steps: [
            { kind: 'weight', weight: 50, bakeSeconds: 300 },
            { kind: 'weight', weight: 100, bakeSeconds: 300 },
          ],
          keepWarmSeconds: 900,
        }
      : {}),
  });
}

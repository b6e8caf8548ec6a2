/**
 * The envelope every strategy shares, rehearsed: input validation, the
 * per-service lock (wait, supersede, take over), the watcher's restore after
 * a stop or a timeout, and the outcome of each end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Rehearsal, rehearseDeployment } from '../../simulator/rehearsal.ts';
import { deploymentOutcome } from '../../lambdas/shared/outcome.ts';
import { exampleConfig, webImage } from '../support/example-config.ts';
import { image, rehearsalConfig } from '../support/rehearsal-config.ts';
import { tableState } from '../support/state-matrix.ts';
import { untilEntered } from '../support/until-entered.ts';

const config = exampleConfig();

describe('deployment envelope, rehearsed', () => {
  let session: Rehearsal | undefined;
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  it('rejects bad console input before taking the lock or changing anything', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const before = session.snapshot();

    // Act
    const record = await session.deploy({ service: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/other:v1' }).done;
    await session.settle();

    // Assess
    expect(deploymentOutcome({ status: record.status, error: record.error?.error })).toBe('REJECTED');
    expect(record.visits.map((v) => v.name)).toEqual(['Restore?', 'ValidateInput', 'InputRejected']);
    expect(record.error?.cause).toContain("repository 'other'");
    expect(session.snapshot()).toEqual(before);
    expect((await tableState('web')).holder).toBeUndefined();
    expect(session.world.calls.filter((c) => c.action.startsWith('ecs:'))).toEqual([]);
  });

  it('rejects a canary service started on the rolling state machine before changing anything', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const before = session.snapshot();

    // Act
    const record = await session.startExecution(
      { service: 'checkout', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.0.0' },
      undefined,
      { strategy: 'rolling' },
    ).done;
    await session.settle();

    // Assess
    expect(deploymentOutcome({ status: record.status, error: record.error?.error })).toBe('REJECTED');
    expect(record.error?.cause).toContain('checkout deploys with canary, but this execution runs on EcsDeployer-ecs-rolling');
    expect(session.snapshot()).toEqual(before);
    expect((await tableState('checkout')).holder).toBeUndefined();
  });

  it('ends FAILED with the AWS error, not as a rejected input, when AWS fails while the input is checked', async () => {
    // Act
    const { report } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), failAt: 'ValidateInput' });

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.error?.error).toBe('AwsCallFailed');
    expect(report.error?.cause).toContain('ecr:DescribeImages failed: AccessDeniedException');
    expect(report.states.at(-1)).toBe('ValidationFailed');
  });

  it('makes a second deployment wait for the first and never interleaves their ECS calls', async () => {
    // Prepare
    session = await Rehearsal.create({ config });

    // Act
    const first = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'first');
    await untilEntered(first, 'UpdateService');
    const second = session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'second');
    const [a, b] = await Promise.all([first.done, second.done]);
    await session.settle();

    // Assess
    expect(a.status).toBe('SUCCEEDED');
    expect(b.status).toBe('SUCCEEDED');
    expect(b.visits.map((v) => v.name)).toContain('WaitForLock');
    // It slept without polling, and was woken when the first released the lock.
    const waits = b.visits.filter((v) => v.name === 'WaitForLock');
    expect(waits).toHaveLength(1);
    const retry = b.visits[b.visits.indexOf(waits[0]!) + 1]!;
    expect(retry.name).toBe('AcquireLock');
    expect(retry.enteredAt).toBe(a.stoppedAt);
    const ecsCalls = session.world.calls.filter((c) => c.action === 'ecs:UpdateService' || c.action === 'ecs:RegisterTaskDefinition');
    const lastOfFirst = Math.max(...ecsCalls.filter((c) => c.caller.executionName === 'first').map((c) => c.at));
    const firstOfSecond = Math.min(...ecsCalls.filter((c) => c.caller.executionName === 'second').map((c) => c.at));
    expect(firstOfSecond).toBeGreaterThanOrEqual(a.stoppedAt!);
    expect(lastOfFirst).toBeLessThan(firstOfSecond);
    expect(session.snapshot().services['prod/web']!.taskDefinition).toBe('web:9');
  });

  it('supersedes older waiting deployments: only the newest push proceeds', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const running = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'running');
    await untilEntered(running, 'UpdateService');

    // Act: two pushes while the first deployment runs
    session.clock.advance(5);
    await session.push('web', 'v1.2.0');
    session.clock.advance(5);
    await session.push('web', 'v1.3.0');
    const records = await session.settle();

    // Assess
    expect((await running.done).status).toBe('SUCCEEDED');
    const byTag = (tag: string) => records.find((r) => JSON.stringify(r.input).includes(`:${tag}@`))!;
    const outcome = (tag: string) => deploymentOutcome({ status: byTag(tag).status, error: byTag(tag).error?.error });
    expect(outcome('v1.2.0')).toBe('SUPERSEDED');
    expect(byTag('v1.2.0').error?.cause).toContain(session.world.ecr.digestOf('web', 'v1.3.0'));
    expect(outcome('v1.3.0')).toBe('SUCCEEDED');
    expect(session.snapshot().services['prod/web']!.image).toContain(session.world.ecr.digestOf('web', 'v1.3.0'));
    const superseded = session.world.calls.filter((c) => c.caller.executionName === byTag('v1.2.0').name);
    expect(superseded.some((c) => c.action.startsWith('ecs:'))).toBe(false);
    const statuses = (await tableState('web')).history.map((h) => h.status).sort();
    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUPERSEDED']);
  });

  it('starts one deployment when EventBridge delivers the same push twice', async () => {
    // Prepare
    session = await Rehearsal.create({ config });

    // Act
    await session.push('web', 'v1.1.0', { eventId: 'same-event' });
    await session.push('web', 'v1.1.0', { eventId: 'same-event' });
    const records = await session.settle();

    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe('SUCCEEDED');
  });

  it("starts the state machine of the service's strategy on a push", async () => {
    // Prepare
    session = await Rehearsal.create({ config });

    // Act
    await session.push('checkout', 'v2.0.0');
    await session.push('payments', 'v2.0.0');
    const records = await session.settle();

    // Assess
    const machines = records.filter((r) => r.input !== undefined && !('restore' in (r.input as object))).map((r) => r.stateMachineArn.split(':').at(-1));
    expect(machines.sort()).toEqual(['EcsDeployer-ecs-blue-green', 'EcsDeployer-ecs-canary']);
    expect(records.every((r) => r.status === 'SUCCEEDED')).toBe(true);
  });

  it('ignores pushes whose tag does not match the pattern', async () => {
    // Prepare
    session = await Rehearsal.create({ config });

    // Act
    const result = (await session.push('web', 'latest')) as { ignored: { reason: string }[] };
    const records = await session.settle();

    // Assess
    expect(records).toHaveLength(0);
    expect(result.ignored[0]!.reason).toContain('does not match');
  });

  it('releases the lock without a restore when a deployment is stopped before it changed anything', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const holder = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'holder');
    await untilEntered(holder, 'UpdateService');
    const waiting = session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'waiting');
    await untilEntered(waiting, 'WaitForLock');

    // Act
    waiting.abort();
    await session.settle();

    // Assess
    expect(waiting.record.status).toBe('ABORTED');
    expect(session.restoreRunOf(waiting.record.executionArn)).toBeUndefined();
    expect((await holder.done).status).toBe('SUCCEEDED');
    const { holder: lockHolder, history } = await tableState('web');
    expect(lockHolder).toBeUndefined();
    const byName = Object.fromEntries(history.map((h) => [String(h.sk).split('#').at(-1), h]));
    expect(byName.waiting).toMatchObject({ status: 'ABORTED' });
    // A stopped waiter no longer supersedes the deployments asked for before it.
    const next = await session.deploy({ service: 'web', image: webImage('v1.3.0') }, 'next').done;
    expect(next.status).toBe('SUCCEEDED');
  });

  it('restores a stopped execution whose clean-up never ran before the next deployment takes its lock', async () => {
    // Prepare: the watcher fails (its event is lost), so the stopped execution keeps its lock, half deployed.
    session = await Rehearsal.create({ config });
    const before = session.snapshot();
    session.world.failCalls({ functionKey: 'ExecutionEnded' });
    const stopped = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped');
    await untilEntered(stopped, 'CheckRollout');
    stopped.abort();
    await session.settle();
    expect((await tableState('web')).holder).toBe(stopped.record.executionArn);
    expect(session.snapshot()).not.toEqual(before);

    // Act
    const next = session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next');
    await session.settle();

    // Assess: the restore ran first, then the next deployment.
    const restore = session.restoreRunOf(stopped.record.executionArn)!;
    expect(restore.record.status).toBe('SUCCEEDED');
    expect(next.record.status).toBe('SUCCEEDED');
    expect(next.record.visits.map((v) => v.name)).toContain('WaitForLock');
    const firstChange = session.world.calls.find((c) => c.caller.executionName === 'next' && c.action === 'ecs:RegisterTaskDefinition')!;
    expect(firstChange.at).toBeGreaterThanOrEqual(restore.record.stoppedAt!);
    const { holder, history } = await tableState('web');
    expect(holder).toBeUndefined();
    const byExecution = Object.fromEntries(history.map((h) => [String(h.sk).split('#').at(-1), h]));
    expect(byExecution.stopped).toMatchObject({ status: 'ABORTED', restore: 'SUCCEEDED' });
    expect(byExecution.next).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('takes over the lock of an execution that ended without releasing it before it changed anything', async () => {
    // Prepare: stopped while waiting to start its changes (before RecordStart), the watcher's event lost.
    session = await Rehearsal.create({ config });
    session.world.failCalls({ functionKey: 'ExecutionEnded' });
    const stopped = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped', { stopAt: 'RecordStart' });
    await session.settle();
    expect((await tableState('web')).holder).toBe(stopped.record.executionArn);

    // Act: a minute later
    session.clock.advance(60);
    const next = await session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next').done;
    await session.settle();

    // Assess
    expect(next.status).toBe('SUCCEEDED');
    expect(next.visits.map((v) => v.name)).not.toContain('WaitForLock');
    expect(session.restoreRunOf(stopped.record.executionArn)).toBeUndefined();
    const byExecution = Object.fromEntries((await tableState('web')).history.map((h) => [String(h.sk).split('#').at(-1), h]));
    expect(byExecution.stopped).toMatchObject({ status: 'ABORTED', reason: expect.stringContaining('its lock was taken over by') });
  });

  it('restores the snapshot when an execution times out, then releases the lock and records TIMED_OUT', async () => {
    // Prepare: a timeout that falls in the bake (after the rollout).
    session = await Rehearsal.create({ config, executionTimeoutSeconds: 250 });
    const before = session.snapshot();

    // Act
    const run = await session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'slow').done;
    await session.settle();

    // Assess
    expect(run.status).toBe('TIMED_OUT');
    expect((run.stoppedAt! - run.startedAt) / 1000).toBe(250);
    expect(run.visits.map((v) => v.name)).toContain('Verify');
    expect(session.restoreRunOf(run.executionArn)?.record.status).toBe('SUCCEEDED');
    expect(session.snapshot()).toEqual(before);
    const { holder, history } = await tableState('web');
    expect(holder).toBeUndefined();
    expect(history[0]).toMatchObject({ status: 'TIMED_OUT', restore: 'SUCCEEDED', reason: expect.stringContaining('execution timed out; restored web') });
  });

  it('keeps a verified deployment when the lock cannot be released: SUCCEEDED, and the next deployment takes the lock over', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    session.world.failCalls({ stateName: 'ReleaseLock' });

    // Act
    const first = await session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'first').done;
    session.world.clearFaults();
    const next = await session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next').done;
    await session.settle();

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect((first.output as { releaseFailure?: { Error?: string } }).releaseFailure?.Error).toBe('AwsCallFailed');
    expect(next.status).toBe('SUCCEEDED');
    expect(session.snapshot().services['prod/web']!.image).toContain(session.world.ecr.digestOf('web', 'v1.2.0'));
    expect((await tableState('web')).holder).toBeUndefined();
  });

  it('keeps a verified deployment when the execution is stopped after its success was recorded', async () => {
    // Act
    const { report } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), stopAt: 'ReleaseLock' });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.restore).toBeUndefined();
    expect(report.final.services['prod/web']!.taskDefinition).toBe('web:8');
  });

  it('records a failed restore when the restore run itself cannot finish, and says the service needs attention', async () => {
    // Prepare
    const short = rehearsalConfig();

    // Act: stopped in the middle of the canary; the restore cannot put the weights back.
    const { report } = await rehearseDeployment(
      { config: short, service: 'checkout', image: image('checkout', 'v1.1.0'), stopAt: 'StepVerified?' },
      (rehearsal) => {
        rehearsal.world.failCalls({ stateName: 'RollbackWeights', functionKey: 'SetWeights' });
      },
    );

    // Assess
    expect(report.status).toBe('ABORTED');
    expect(report.restore?.status).toBe('FAILED');
    expect(report.restore?.error?.error).toBe('RollbackFailed');
    expect(report.notifications.at(-1)).toMatch(/^Deployment Failed: checkout .*restoring checkout .* failed .*needs attention/);
  });
});

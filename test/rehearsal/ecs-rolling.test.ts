/**
 * The rolling state machine run end to end, locally: the ASL file in the
 * local interpreter, the real handlers, the simulated AWS account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/shared/table.ts';
import { taskStateNames } from '../../simulator/asl.ts';
import { Rehearsal, rehearseDeployment, STATE_MACHINE_FILE } from '../../simulator/rehearsal.ts';
import { statusOf } from '../../simulator/report.ts';
import { exampleConfig, webImage } from '../support/example-config.ts';
import { untilEntered } from '../support/until-entered.ts';

const config = exampleConfig();

/** Read the lock and history items of a service from the simulated table. */
async function tableState(service: string) {
  const client = documentClient();
  const lock = await client.send(new GetCommand({ TableName: 'deployer', Key: { pk: `SERVICE#${service}`, sk: 'LOCK' } }));
  const history = await client.send(
    new QueryCommand({
      TableName: 'deployer',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': `SERVICE#${service}`, ':d': 'DEPLOY#' },
    }),
  );
  return { lock: lock.Item, history: history.Items ?? [] };
}

describe('rolling deployment, rehearsed', () => {
  let session: Rehearsal | undefined;
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  it('deploys the new image pinned by digest, verifies it for the bake time and releases the lock', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const before = session.snapshot();

    // Act
    const run = session.deploy({ service: 'web', image: webImage('v1.1.0'), startedBy: 'test' });
    const record = await run.done;
    await session.settle();

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    const web = session.snapshot().services['prod/web']!;
    expect(web.taskDefinition).toBe('web:8');
    expect(web.image).toBe(`${webImage('v1.1.0').replace(':v1.1.0', '')}@${session.world.ecr.digestOf('web', 'v1.1.0')}`);
    expect(web.desiredCount).toBe(before.services['prod/web']!.desiredCount);
    expect(session.snapshot().services['prod/orders-api']).toEqual(before.services['prod/orders-api']);
    // bake of 300 s plus the ECS rollout
    expect((record.stoppedAt! - record.startedAt) / 1000).toBeGreaterThan(300);
    const { lock, history } = await tableState('web');
    expect(lock?.holder).toBeUndefined();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ status: 'SUCCEEDED', startedBy: 'test', imageTag: 'v1.1.0' });
    expect(history[0]!.previousImage).toBe(before.services['prod/web']!.image);
    const kinds = session.world.events.entries().map((e) => e.DetailType);
    expect(kinds).toEqual(['Deployment Started', 'Deployment Succeeded']);
  });

  const mainPathTasks = [
    'ValidateInput',
    'AcquireLock',
    'DescribeService',
    'RecordStart',
    'RegisterTaskDefinition',
    'UpdateService',
    'CheckRollout',
    'Verify',
    'RecordSuccess',
    'ReleaseLock',
  ];

  it('knows every Task state on the success path', () => {
    const tasks = taskStateNames(STATE_MACHINE_FILE);
    for (const name of mainPathTasks) expect(tasks).toContain(name);
  });

  it.each(mainPathTasks)('leaves the service as it was when %s fails', async (state) => {
    // Act
    const { report, record } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), failAt: state });

    // Assess
    expect(report.status).not.toBe('SUCCEEDED');
    expect(report.final).toEqual(report.initial);
    expect(report.error?.error).toBeTruthy();
    expect(record.visits.map((v) => v.name)).toContain(state);
    if (state === 'ValidateInput') {
      expect(report.states.at(-1)).toBe('InputRejected');
    } else if (state === 'AcquireLock' || state === 'DescribeService') {
      expect(report.status).toBe('FAILED');
      expect(report.states.at(-1)).toBe('DeploymentFailed');
    } else {
      expect(report.status).toBe('ROLLED_BACK');
      expect(report.error?.cause).toContain('rolled back web');
    }
  });

  it('rolls back an image whose tasks never become healthy, with the circuit breaker reason', async () => {
    // Act
    const { report } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), unhealthy: true });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.error).toBe('RolloutFailed');
    expect(report.error?.cause).toMatch(/circuit breaker/i);
    expect(report.final).toEqual(report.initial);
    expect(report.states).not.toContain('Verify');
  });

  it('rolls back when a watched alarm fires once the new revision serves', async () => {
    // Act
    const { report } = await rehearseDeployment({
      config,
      service: 'web',
      image: webImage('v1.1.0'),
      alarms: ['web-p99-latency'],
    });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.error).toBe('VerificationFailed');
    expect(report.error?.cause).toContain('web-p99-latency');
    expect(report.final).toEqual(report.initial);
  });

  it('retries throttled AWS calls instead of rolling back', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    session.world.failCalls(
      { action: 'ecs:UpdateService' },
      { name: 'ThrottlingException', message: 'Rate exceeded', transient: true },
      2,
    );

    // Act
    const record = await session.deploy({ service: 'web', image: webImage('v1.1.0') }).done;

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    expect(record.retries).toBeGreaterThanOrEqual(1);
    expect(session.snapshot().services['prod/web']!.taskDefinition).toBe('web:8');
  });

  it('rejects bad console input before taking the lock or changing anything', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const before = session.snapshot();

    // Act
    const record = await session.deploy({ service: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/other:v1' }).done;
    await session.settle();

    // Assess
    expect(record.status).toBe('FAILED');
    expect(record.visits.map((v) => v.name)).toEqual(['ValidateInput', 'InputRejected']);
    expect(record.error?.error).toBe('InvalidInput');
    expect(record.error?.cause).toContain("repository 'other'");
    expect(session.snapshot()).toEqual(before);
    expect((await tableState('web')).lock).toBeUndefined();
    expect(session.world.calls.filter((c) => c.action.startsWith('ecs:'))).toEqual([]);
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
    const ecsCalls = session.world.calls.filter((c) => c.action === 'ecs:UpdateService' || c.action === 'ecs:RegisterTaskDefinition');
    const lastOfFirst = Math.max(...ecsCalls.filter((c) => c.caller.executionName === 'first').map((c) => c.at));
    const firstOfSecond = Math.min(...ecsCalls.filter((c) => c.caller.executionName === 'second').map((c) => c.at));
    expect(firstOfSecond).toBeGreaterThanOrEqual(a.stoppedAt!);
    expect(lastOfFirst).toBeLessThan(firstOfSecond);
    expect(session.snapshot().services['prod/web']!.taskDefinition).toBe('web:9');
    expect(session.snapshot().services['prod/web']!.image).toContain(session.world.ecr.digestOf('web', 'v1.2.0'));
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
    const byTag = (tag: string) =>
      records.find((r) => JSON.stringify(r.input).includes(`:${tag}@`))!;
    expect(statusOf(byTag('v1.2.0'))).toBe('SUPERSEDED');
    expect(byTag('v1.2.0').error?.error).toBe('Superseded');
    expect(byTag('v1.2.0').error?.cause).toContain(session.world.ecr.digestOf('web', 'v1.3.0'));
    expect(statusOf(byTag('v1.3.0'))).toBe('SUCCEEDED');
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

  it('releases the lock and records ABORTED when an execution is stopped from the console', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const run = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped');
    await untilEntered(run, 'Verify');

    // Act
    run.abort();
    await session.settle();

    // Assess
    expect(run.record.status).toBe('ABORTED');
    const { lock, history } = await tableState('web');
    expect(lock?.holder).toBeUndefined();
    expect(history[0]).toMatchObject({ status: 'ABORTED' });
    const next = await session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next').done;
    expect(next.status).toBe('SUCCEEDED');
    expect(next.visits.map((v) => v.name)).not.toContain('WaitForLock');
  });

  it('takes over the lock of a stopped execution whose clean-up never ran, and records it as ABORTED', async () => {
    // Prepare: the ExecutionEnded safety net fails (its event is lost), so the stopped execution keeps its lock.
    session = await Rehearsal.create({ config });
    session.world.failCalls({ functionKey: 'ExecutionEnded' });
    const stopped = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped');
    await untilEntered(stopped, 'Verify');
    stopped.abort();
    await session.settle();
    expect((await tableState('web')).lock?.holder).toBe(stopped.record.executionArn);

    // Act
    const next = await session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next').done;
    await session.settle();

    // Assess
    expect(next.status).toBe('SUCCEEDED');
    expect(next.visits.map((v) => v.name)).not.toContain('WaitForLock');
    const { lock, history } = await tableState('web');
    expect(lock?.holder).toBeUndefined();
    const byExecution = Object.fromEntries(history.map((h) => [String(h.sk).split('#').at(-1), h]));
    expect(byExecution.stopped).toMatchObject({ status: 'ABORTED', reason: expect.stringContaining('its lock was taken over by') });
    expect(byExecution.next).toMatchObject({ status: 'SUCCEEDED' });
    expect(session.snapshot().services['prod/web']!.image).toContain(session.world.ecr.digestOf('web', 'v1.2.0'));
  });

  it('releases the lock and records TIMED_OUT when an execution times out', async () => {
    // Prepare: a timeout that falls in the bake (the rollout takes 90 s, the bake 300 s).
    session = await Rehearsal.create({ config, executionTimeoutSeconds: 200 });

    // Act
    const run = await session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'slow').done;
    await session.settle();

    // Assess
    expect(run.status).toBe('TIMED_OUT');
    expect(run.error?.error).toBe('States.Timeout');
    expect((run.stoppedAt! - run.startedAt) / 1000).toBe(200);
    expect(run.visits.map((v) => v.name)).toContain('Verify');
    const { lock, history } = await tableState('web');
    expect(lock?.holder).toBeUndefined();
    expect(history[0]).toMatchObject({ status: 'TIMED_OUT', reason: 'execution timed out; its lock was released' });
    const next = await session.deploy({ service: 'web', image: webImage('v1.2.0') }, 'next').done;
    expect(next.visits.map((v) => v.name)).not.toContain('WaitForLock');
  });
});

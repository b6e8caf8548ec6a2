/**
 * The rolling state machine run end to end, locally: the ASL file in the
 * local interpreter, the real handlers, the simulated AWS account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Rehearsal, rehearseDeployment } from '../../simulator/rehearsal.ts';
import { exampleConfig, webImage } from '../support/example-config.ts';
import { tableState } from '../support/state-matrix.ts';
import { untilEntered } from '../support/until-entered.ts';

const config = exampleConfig();

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
    // the bake of 300 s after the ECS rollout
    expect((record.stoppedAt! - record.startedAt) / 1000).toBeGreaterThan(300);
    const { holder, history } = await tableState('web');
    expect(holder).toBeUndefined();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ status: 'SUCCEEDED', strategy: 'rolling', startedBy: 'test', imageTag: 'v1.1.0' });
    expect(history[0]!.previousImage).toBe(before.services['prod/web']!.image);
    const kinds = session.world.events.entries().map((e) => e.DetailType);
    expect(kinds).toEqual(['Deployment Started', 'Deployment Succeeded']);
    expect(session.world.sns.messages().map((m) => m.message.split(':')[0])).toEqual(['Deployment Started', 'Deployment Succeeded']);
  });

  it('verifies while ECS rolls out: an alarm that fires as the new tasks start serving rolls back within one poll, before the rollout ends', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    session.world.tripAlarmWhenNewRevisionServes('web-5xx-rate');

    // Act
    const record = await session.deploy({ service: 'web', image: webImage('v1.1.0') }).done;
    await session.settle();

    // Assess
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('RolledBack');
    expect(record.error?.cause).toContain('alarm web-5xx-rate went into ALARM');
    const names = record.visits.map((v) => v.name);
    expect(names).not.toContain('StartBake');
    const failed = record.visits.find((v) => v.name === 'VerifyRollout' && v.error !== undefined)!;
    const firstServing = session.world.calls.find((c) => c.action === 'ecs:UpdateService')!.at;
    const interval = config.ecs[0]!.verifyIntervalSeconds * 1000;
    // The new tasks serve at the earliest when they run; the rollback starts at the first poll after that.
    expect(failed.enteredAt - firstServing).toBeLessThanOrEqual(3 * interval + 60_000);
    expect(session.snapshot().services['prod/web']!.taskDefinition).toBe('web:7');
  });

  it('rolls back an image whose tasks never become healthy, with the circuit breaker reason', async () => {
    // Act
    const { report } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), unhealthy: true });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toMatch(/RolloutFailed: .*circuit breaker/i);
    expect(report.final).toEqual(report.initial);
    expect(report.states).not.toContain('Verify');
  });

  it('rolls back when a watched alarm fires once the new revision serves', async () => {
    // Act
    const { report } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0'), alarms: ['web-p99-latency'] });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('VerificationFailed: alarm web-p99-latency');
    expect(report.final).toEqual(report.initial);
  });

  it('ships the fix for an alarm that was already firing: reported, not blocking', async () => {
    // Act
    const { report, record } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0') }, (rehearsal) => {
      rehearsal.world.cloudwatch.setAlarmState('web-5xx-rate', 'ALARM', 'the bug this release fixes');
      rehearsal.clock.advance(600);
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    const verdicts = record.visits
      .filter((v) => v.name === 'Verify')
      .map((v) => (v.output as { verification?: { verdict?: string } }).verification?.verdict ?? '');
    expect(verdicts.length).toBeGreaterThan(0);
    for (const verdict of verdicts) expect(verdict).toContain('already in ALARM before the deployment: web-5xx-rate');
  });

  it('refuses to start while an alarm is already firing when the service says preexistingAlarms: block', async () => {
    // Prepare
    const blocking = exampleConfig((text) => text.replace('    bakeSeconds: 300', '    bakeSeconds: 300\n    verification: { preexistingAlarms: block }'));

    // Act
    const { report } = await rehearseDeployment({ config: blocking, service: 'web', image: webImage('v1.1.0') }, (rehearsal) => {
      rehearsal.world.cloudwatch.setAlarmState('web-5xx-rate', 'ALARM', 'already broken');
    });

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.error?.cause).toContain('already in ALARM and preexistingAlarms is "block"');
    expect(report.final).toEqual(report.initial);
    expect(report.states).not.toContain('RegisterTaskDefinition');
  });

  it('retries throttled AWS calls instead of rolling back', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    session.world.failCalls({ action: 'ecs:UpdateService' }, { name: 'ThrottlingException', message: 'Rate exceeded', transient: true }, 2);

    // Act
    const record = await session.deploy({ service: 'web', image: webImage('v1.1.0') }).done;

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    expect(record.retries).toBeGreaterThanOrEqual(1);
    expect(session.snapshot().services['prod/web']!.taskDefinition).toBe('web:8');
  });

  it('lets a stopped rollout be restored by the watcher: the service back on its revision, the lock released', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const before = session.snapshot();
    const run = session.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped');
    await untilEntered(run, 'CheckRollout');

    // Act
    await session.stop(run.record.executionArn, 'RollbackRequested', 'rollback requested by alice: wrong build');
    await session.settle();

    // Assess
    expect(run.record.status).toBe('ABORTED');
    const restore = session.restoreRunOf(run.record.executionArn);
    expect(restore?.record.status).toBe('SUCCEEDED');
    expect(session.snapshot()).toEqual(before);
    const { holder, history } = await tableState('web');
    expect(holder).toBeUndefined();
    expect(history[0]).toMatchObject({ status: 'ABORTED', restore: 'SUCCEEDED' });
    expect(String(history[0]!.reason)).toContain('rollback requested by alice: wrong build');
    expect(session.world.events.entries().map((e) => e.DetailType)).toContain('Deployment Aborted');
  });
});

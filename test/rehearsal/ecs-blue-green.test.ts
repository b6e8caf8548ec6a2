/**
 * The blue-green state machine rehearsed end to end: the idle colour at
 * full size, the check through the test listener, traffic by steps, the old
 * colour kept warm, and the exact restore when something is wrong.
 */
import { describe, expect, it } from 'vitest';
import { Rehearsal, rehearseDeployment, type DeploymentRehearsalOptions } from '../../simulator/rehearsal.ts';
import type { ExecutionRecord } from '../../simulator/local-state-machine.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';
import { BLUE_TG, GREEN_TG, RULE, SHORT_STEPS, TEST_LISTENER, image, rehearsalConfig, rehearsalConfigYaml } from '../support/rehearsal-config.ts';

const deploy = (options: Partial<DeploymentRehearsalOptions> = {}): DeploymentRehearsalOptions => ({
  config: rehearsalConfig(),
  service: 'payments',
  image: image('payments', 'v1.1.0'),
  ...options,
});

function visit(record: ExecutionRecord, state: string) {
  return record.visits.find((v) => v.name === state && v.error === undefined);
}

describe('blue-green deployment, rehearsed', () => {
  it('deploys the idle colour at full size, checks it through the test listener, moves traffic, keeps the old colour warm, then scales it down', async () => {
    // Act
    const { report, record } = await rehearseDeployment(deploy());

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    const { initial, final } = report;
    expect(initial.services['prod/payments-blue']!.desiredCount).toBe(4);
    expect(initial.services['prod/payments-green']!.desiredCount).toBe(0);
    // green now serves the new revision at blue's size; blue is scaled to zero on its old revision
    expect(final.services['prod/payments-green']).toMatchObject({ taskDefinition: 'payments:8', desiredCount: 4 });
    expect(final.services['prod/payments-blue']).toMatchObject({ taskDefinition: initial.services['prod/payments-blue']!.taskDefinition, desiredCount: 0 });
    expect(final.listeners[RULE]).toEqual({ [BLUE_TG]: 0, [GREEN_TG]: 100 });
    // the test listener now reaches blue, the idle colour of the next deployment
    expect(final.listeners[TEST_LISTENER]).toEqual({ [GREEN_TG]: 0, [BLUE_TG]: 100 });
    const names = record.visits.map((v) => v.name);
    expect(names.indexOf('TestIdle')).toBeLessThan(names.indexOf('ShiftTraffic'));
    expect((visit(record, 'TestIdle')!.output as { verification: { verdict: string } }).verification.verdict).toContain(':8443/payments/health');
    // kept warm for keepWarm (2m) after the last shift before the old colour went
    const lastShift = record.visits.filter((v) => v.name === 'ShiftTraffic').at(-1)!.enteredAt;
    const scaleDown = visit(record, 'ScaleDownOld')!.enteredAt;
    expect((scaleDown - lastShift) / 1000).toBeGreaterThanOrEqual(120);
  });

  it('alternates colours: the next deployment goes back to blue', async () => {
    // Prepare
    const session = await Rehearsal.create({ config: rehearsalConfig() });
    try {
      // Act
      const first = await session.deploy({ service: 'payments', image: image('payments', 'v1.1.0') }).done;
      const second = await session.deploy({ service: 'payments', image: image('payments', 'v1.2.0') }).done;
      await session.settle();

      // Assess
      expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const sides = (record: ExecutionRecord) => (visit(record, 'DescribeServices')!.output as { snapshot: { services: { live: { colour: string } } } }).snapshot.services.live.colour;
      expect([sides(first), sides(second)]).toEqual(['blue', 'green']);
      const snapshot = session.snapshot();
      expect(snapshot.services['prod/payments-blue']).toMatchObject({ desiredCount: 4, taskDefinition: 'payments:9' });
      expect(snapshot.services['prod/payments-green']!.desiredCount).toBe(0);
      expect(snapshot.listeners[RULE]).toEqual({ [BLUE_TG]: 100, [GREEN_TG]: 0 });
    } finally {
      session.close();
    }
  });

  it('moves all traffic at once by the default steps (100%, 5m bake) and keeps the old colour warm after', async () => {
    // Prepare: no steps and no verification configured: the schema's defaults.
    const config = parseConfigYaml(rehearsalConfigYaml(), 'rehearsal config');

    // Act
    const { report } = await rehearseDeployment(deploy({ config }));

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps.map((s) => s.weight)).toEqual([100]);
    expect(report.final.listeners[RULE]).toEqual({ [BLUE_TG]: 0, [GREEN_TG]: 100 });
    expect(report.final.services['prod/payments-green']).toMatchObject({ taskDefinition: 'payments:8', desiredCount: 4 });
    expect(report.final.services['prod/payments-blue']!.desiredCount).toBe(0);
  });

  it('catches a bad new colour at the first step and puts all traffic back on the live colour', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ bad: true }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toMatch(/new colour side 5xx rate .* exceeds/);
    expect(report.steps.filter((s) => s.verdict !== undefined)).toHaveLength(1);
    expect(report.final).toEqual(report.initial);
  });

  it('drains the new colour again in the watcher\'s restore when stopped while its rollback waited for the drain', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ bad: true, stopAt: 'CheckIdleDrainedOnRollback' }));

    // Assess
    expect(report.status).toBe('ABORTED');
    expect(report.restore?.status).toBe('SUCCEEDED');
    // The stopped rollback had already moved the weights back: the restore finds them unchanged, and drains anyway.
    const states = report.restore?.states ?? [];
    expect(states).toContain('CheckIdleDrainedOnRollback');
    expect(states.indexOf('CheckIdleDrainedOnRollback')).toBeLessThan(states.indexOf('RollbackIdle'));
    expect(report.final).toEqual(report.initial);
  });

  it('flips the weights back when something fails while the old colour is kept warm', async () => {
    // Act
    const { report, record } = await rehearseDeployment(deploy(), (rehearsal) => {
      rehearsal.world.failCalls({ stateName: 'VerifyKeepWarm' });
    });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    const failed = record.visits.find((v) => v.name === 'VerifyKeepWarm' && v.error !== undefined)!;
    const flipped = record.visits.find((v) => v.name === 'RollbackWeights')!;
    expect(flipped.enteredAt - failed.enteredAt).toBe(0);
    expect(report.final).toEqual(report.initial);
  });

  it('brings the old colour back to full size and health before it gets traffic again, when something fails after it was scaled down', async () => {
    // Act
    const { report, record } = await rehearseDeployment(deploy(), (rehearsal) => {
      rehearsal.world.failCalls({ stateName: 'CheckOldScaleDown' });
    });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    const names = record.visits.map((v) => v.name);
    expect(names).toContain('ScaleDownOld');
    // blue (scaled to zero) is restored and healthy before the weights move back to it
    const liveRestored = record.visits.findLast((v) => v.name === 'LiveRestored?')!;
    const weightsBack = visit(record, 'RollbackWeights')!;
    expect(names.indexOf('RollbackLive')).toBeLessThan(names.indexOf('RollbackWeights'));
    expect(liveRestored.enteredAt).toBeLessThanOrEqual(weightsBack.enteredAt);
    expect((liveRestored.output as { rollback: { state: string } }).rollback.state).toBe('COMPLETED');
    // it had to wait for blue's tasks: it was at zero
    expect(names.filter((n) => n === 'CheckLiveRollback').length).toBeGreaterThan(0);
    expect(names.lastIndexOf('CheckLiveRollback')).toBeLessThan(names.indexOf('RollbackWeights'));
    expect(report.final).toEqual(report.initial);
  });

  it('deploys without a test listener: the idle colour is checked on its own health before it gets traffic', async () => {
    // Prepare
    const yaml = rehearsalConfigYaml({ payments: SHORT_STEPS.payments })
      .replace(`, testListener: ${TEST_LISTENER}`, '')
      .replace(/\n\s+testUrl: .*/u, '');
    const config = parseConfigYaml(yaml, 'no test listener');

    // Act
    const { report } = await rehearseDeployment(deploy({ config }));

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.states).not.toContain('TestIdle');
    expect(report.final.services['prod/payments-green']).toMatchObject({ taskDefinition: 'payments:8', desiredCount: 4 });
    expect(report.final.listeners[RULE]).toEqual({ [BLUE_TG]: 0, [GREEN_TG]: 100 });
  });

  it('rolls back when the new colour never gets healthy, before it receives any traffic', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ unhealthy: true }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('RolloutFailed');
    expect(report.states).not.toContain('ShiftTraffic');
    expect(report.final).toEqual(report.initial);
  });

  it('refuses to start while traffic is split between the colours (an earlier deployment did not finish)', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy(), async (rehearsal) => {
      await rehearsal.world.withCaller({ functionKey: 'operator' }, async () => {
        const { ElasticLoadBalancingV2Client, ModifyRuleCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
        await new ElasticLoadBalancingV2Client({}).send(
          new ModifyRuleCommand({
            RuleArn: RULE,
            Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE_TG, Weight: 60 }, { TargetGroupArn: GREEN_TG, Weight: 40 }] } }],
          }),
        );
      });
    });

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.error?.cause).toContain('traffic is split between blue (60%) and green (40%)');
    expect(report.final).toEqual(report.initial);
  });

  it('refuses a service deployed by CodeDeploy, before changing anything', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ world: { services: { 'prod/payments-green': { deploymentController: 'CODE_DEPLOY' } } } }));

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.error?.cause).toContain('uses the CODE_DEPLOY deployment controller');
    expect(report.final).toEqual(report.initial);
  });
});

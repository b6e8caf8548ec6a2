/**
 * The canary state machine rehearsed end to end: the canary service and
 * its size at each step, the listener's weights, verification of the canary
 * against the primary, approvals, promote, and the exact restore of
 * everything when something is wrong.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../lambdas/shared/table.ts';
import { rehearseDeployment, type DeploymentRehearsalOptions } from '../../simulator/rehearsal.ts';
import type { ExecutionRecord } from '../../simulator/local-state-machine.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';
import { CANARY_TG, CHECKOUT_TG, LISTENER, image, rehearsalConfig, rehearsalConfigYaml } from '../support/rehearsal-config.ts';
import { tableState } from '../support/state-matrix.ts';

const deploy = (options: Partial<DeploymentRehearsalOptions> = {}): DeploymentRehearsalOptions => ({
  config: rehearsalConfig(),
  service: 'checkout',
  image: image('checkout', 'v1.1.0'),
  ...options,
});

/** The output field of every visit of a state. */
function outputs<T>(record: ExecutionRecord, state: string, pick: (output: Record<string, unknown>) => T): T[] {
  return record.visits.filter((v) => v.name === state && v.error === undefined).map((v) => pick(v.output as Record<string, unknown>));
}

describe('canary deployment, rehearsed', () => {
  it('moves traffic by the default steps, sizing the canary with the weight, then updates the primary and removes the canary', async () => {
    // Prepare: no steps and no verification configured: the schema's defaults, 10% -> 50% -> 100%, 5m each.
    const config = parseConfigYaml(rehearsalConfigYaml(), 'rehearsal config');
    let history: Record<string, unknown>[] = [];

    // Act
    const { report, record } = await rehearseDeployment(deploy({ config }), () => async () => {
      history = (await tableState('checkout')).history;
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps.map((s) => s.weight)).toEqual([10, 50, 100]);
    const sizes = outputs(record, 'ScaleCanary', (o) => (o.rollout as { desiredCount: number }).desiredCount);
    expect(sizes).toEqual([1, 2, 4]);
    const weights = outputs(record, 'ShiftTraffic', (o) => (o.weights as { listeners: Record<string, Record<string, number>> }).listeners[LISTENER]);
    expect(weights).toEqual([
      { [CHECKOUT_TG]: 90, [CANARY_TG]: 10 },
      { [CHECKOUT_TG]: 50, [CANARY_TG]: 50 },
      { [CHECKOUT_TG]: 0, [CANARY_TG]: 100 },
    ]);
    // Afterwards: the primary runs the new revision, the listener is as it was, no canary remains.
    expect(report.final.services['prod/checkout']).toMatchObject({ taskDefinition: 'checkout:8', desiredCount: 4 });
    expect(report.final.services['prod/checkout']!.image).toContain('@sha256:');
    expect(report.final.services['prod/checkout-canary']).toBeUndefined();
    expect(report.final.listeners).toEqual(report.initial.listeners);
    expect(record.visits.map((v) => v.name)).toContain('DeleteCanary');
    expect(history[0]).toMatchObject({ status: 'SUCCEEDED', strategy: 'canary' });
    expect((history[0]!.verdicts as unknown[]).length).toBe(3);
  });

  it('waits at an approval step, and goes on once approved', async () => {
    // Act
    const { report, record } = await rehearseDeployment(deploy({ approvals: { answer: 'approve', afterSeconds: 600, by: 'alice' } }));

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps.map((s) => [s.kind, s.weight ?? null])).toEqual([['weight', 25], ['approval', null], ['weight', 100]]);
    expect(report.steps[1]!.verdict).toBe('approved by alice');
    const asked = record.visits.find((v) => v.name === 'RequestApproval')!;
    const next = record.visits[record.visits.indexOf(asked) + 1]!;
    expect((next.enteredAt - asked.enteredAt) / 1000).toBe(600);
    expect(report.notifications.some((n) => n.startsWith('Deployment Approval Requested: checkout') && n.includes('deployer approve checkout'))).toBe(true);
  });

  it('rolls back when the approval is rejected, saying who rejected it', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ approvals: { answer: 'reject', by: 'bob' } }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('ApprovalRejected: rejected by bob');
    expect(report.final).toEqual(report.initial);
  });

  it('rolls back when nobody answers the approval within its timeout', async () => {
    // Prepare
    const config = rehearsalConfig({ checkout: ['steps: [{weight: 25, bake: 1m}, {approval: true, timeout: 30m}, {weight: 100, bake: 1m}]'] });

    // Act
    const { report, record } = await rehearseDeployment(deploy({ config, approvals: { answer: 'none' } }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('ApprovalTimedOut: nobody approved step 1 within 1800 seconds');
    const asked = record.visits.find((v) => v.name === 'RequestApproval')!;
    const timedOut = record.visits.find((v) => v.name === 'ApprovalTimedOut')!;
    expect((timedOut.enteredAt - asked.enteredAt) / 1000).toBe(1800);
    expect(report.final).toEqual(report.initial);
  });

  it('catches a bad canary at the first step and restores the weights within one verify interval of the first bad figures', async () => {
    // Act
    const { report, record } = await rehearseDeployment(deploy({ bad: true }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toMatch(/VerificationFailed: canary side 5xx rate .* exceeds the old side's/);
    expect(report.steps.filter((s) => s.verdict !== undefined)).toHaveLength(1);
    expect(report.final).toEqual(report.initial);
    // The first bad figures exist once the minute of the shift is over (ALB metrics come by the minute).
    const shifted = outputs(record, 'ShiftTraffic', (o) => (o.weights as { setAt: number }).setAt)[0]!;
    const firstBadFigures = Math.ceil(shifted / 60_000) * 60_000;
    const restored = record.visits.find((v) => v.name === 'RollbackWeights')!.enteredAt;
    expect(restored).toBeGreaterThanOrEqual(firstBadFigures);
    expect(restored - firstBadFigures).toBeLessThanOrEqual(30_000);
  });

  it('never rolls back a healthy canary whose metrics are merely noisy', async () => {
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']) {
      // Act
      const { report } = await rehearseDeployment(deploy({ world: { seed } }));

      // Assess
      expect(report.status, `seed ${seed}: ${report.error?.cause ?? ''}`).toBe('SUCCEEDED');
    }
  });

  it('keeps baking while the canary has too few requests to judge, then fails saying so', async () => {
    // Act: one request every ten seconds for the whole listener
    const { report, record } = await rehearseDeployment(deploy({ world: { requestsPerSecond: 0.1 } }));

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('too little traffic to judge the new revision');
    expect(report.error?.cause).toContain('lower verification.minRequests');
    // bake (1m) + maxExtraBake (10m) after the shift
    const shifted = outputs(record, 'ShiftTraffic', (o) => (o.weights as { setAt: number }).setAt)[0]!;
    const failed = record.visits.find((v) => v.name === 'Verify' && v.error !== undefined)!;
    expect((failed.enteredAt - shifted) / 1000).toBeGreaterThanOrEqual(660);
    expect(report.final).toEqual(report.initial);
  });

  it('passes a step with little traffic when minRequests allows it', async () => {
    // Prepare
    const config = rehearsalConfig({ checkout: ['verification: { minRequests: 0 }'] });

    // Act
    const { report } = await rehearseDeployment(deploy({ config, world: { requestsPerSecond: 0.1 } }));

    // Assess
    expect(report.status).toBe('SUCCEEDED');
  });

  it('does not let an alarm that was already firing block the deployment that fixes it', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy(), (rehearsal) => {
      rehearsal.world.cloudwatch.setAlarmState('checkout-5xx-rate', 'ALARM', 'the bug this release fixes');
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps[0]!.verdict).toContain('already in ALARM before the deployment: checkout-5xx-rate');
  });

  it('ends the current bake early when an operator promotes the deployment', async () => {
    // Prepare: a long first step; the operator promotes five minutes into it.
    const config = rehearsalConfig({ checkout: ['steps: [{weight: 25, bake: 2h}, {weight: 100, bake: 1m}]'] });

    // Act
    const { report, record } = await rehearseDeployment(deploy({ config }), (rehearsal) => {
      const cancel = rehearsal.clock.at(Date.parse('2026-01-05T09:10:00.000Z'), () => {
        const executionArn = rehearsal.executions[0]!.record.executionArn;
        void documentClient().send(
          new UpdateCommand({
            TableName: 'deployer',
            Key: { pk: 'SERVICE#checkout', sk: 'LOCK' },
            UpdateExpression: 'SET promote = :p',
            ExpressionAttributeValues: { ':p': { executionArn, requestedAt: '2026-01-05T09:10:00.000Z', requestedBy: 'carol' } },
          }),
        );
      });
      return async () => cancel();
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps[0]!.verdict).toContain('promoted by carol: bake ended early');
    expect(report.virtualSeconds).toBeLessThan(3600);
    expect(record.visits.filter((v) => v.name === 'Verify').length).toBeLessThan(40);
  });

  it('uses a canary service the team owns: never created or deleted, back to zero tasks afterwards', async () => {
    // Prepare
    const config = rehearsalConfig({ checkout: ['canaryService: checkout-canary'] });

    // Act
    const { report, record } = await rehearseDeployment(deploy({ config }));

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(outputs(record, 'PrepareCanary', (o) => (o.canary as { created: boolean }).created)).toEqual([false]);
    expect(outputs(record, 'DeleteCanary', (o) => (o.canaryDeleted as { deleted: boolean }).deleted)).toEqual([false]);
    expect(report.final.services['prod/checkout-canary']).toEqual(report.initial.services['prod/checkout-canary']);
    expect(report.final.services['prod/checkout']!.taskDefinition).toBe('checkout:8');
  });

  it('is restored by the watcher when stopped in the middle of a step: weights, primary and canary as before', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ stopAt: 'StepVerified?' }));

    // Assess
    expect(report.status).toBe('ABORTED');
    expect(report.restore?.status).toBe('SUCCEEDED');
    expect(report.restore?.states).toEqual(expect.arrayContaining(['LoadRestore', 'RollbackWeights', 'DeleteCanaryOnRollback', 'RecordRestored']));
    expect(report.final).toEqual(report.initial);
    expect(report.notifications.at(-1)).toMatch(/^Deployment Aborted: checkout .* restored checkout/);
  });

  it('drains the canary again in the watcher\'s restore when stopped while its rollback waited for the drain', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy({ bad: true, stopAt: 'CheckCanaryDrainedOnRollback' }));

    // Assess
    expect(report.status).toBe('ABORTED');
    expect(report.restore?.status).toBe('SUCCEEDED');
    // The stopped rollback had already moved the weights back: the restore finds them unchanged, and drains anyway.
    const states = report.restore?.states ?? [];
    expect(states).toContain('CheckCanaryDrainedOnRollback');
    expect(states.indexOf('CheckCanaryDrainedOnRollback')).toBeLessThan(states.indexOf('RollbackCanary'));
    expect(report.final).toEqual(report.initial);
  });

  it('refuses a listener whose traffic is not all on the primary, before changing anything', async () => {
    // Act
    const { report } = await rehearseDeployment(deploy(), async (rehearsal) => {
      await rehearsal.world.withCaller({ functionKey: 'operator' }, async () => {
        const { ElasticLoadBalancingV2Client, ModifyListenerCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
        await new ElasticLoadBalancingV2Client({}).send(
          new ModifyListenerCommand({
            ListenerArn: LISTENER,
            DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 80 }, { TargetGroupArn: CANARY_TG, Weight: 20 }] } }],
          }),
        );
      });
    });

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.error?.cause).toContain('has 80% of the traffic, not all of it');
    expect(report.final).toEqual(report.initial);
  });
});

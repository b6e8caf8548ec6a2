import { describe, expect, it } from 'vitest';
import { listenerName, snapshotSummary, targetGroupName } from '../../../lambdas/shared/snapshot-summary.ts';
import {
  CHECKOUT_TG,
  LISTENER_ARN,
  LISTENER_RULE_ARN,
  blueGreenSnapshot,
  canarySnapshot,
  rollingSnapshot,
} from '../../support/lambda-fixtures.ts';

describe('snapshot in words', () => {
  it('says what a rolling service ran: revision and task count', () => {
    // Prepare
    const snapshot = rollingSnapshot();

    // Act
    const summary = snapshotSummary(snapshot);

    // Assess
    expect(summary).toBe('web on web:41 ×4');
  });

  it('names a canary service that did not exist, and the listener’s traffic in percent', () => {
    // Prepare
    const snapshot = canarySnapshot();

    // Act
    const summary = snapshotSummary(snapshot);

    // Assess
    expect(summary).toBe('checkout on checkout:7 ×4; checkout-canary absent; listener f2f7dc8e checkout 100%');
  });

  it('names both colours, the rule and the test listener of a blue-green deployment', () => {
    // Prepare
    const snapshot = blueGreenSnapshot();

    // Act
    const summary = snapshotSummary(snapshot);

    // Assess
    expect(summary).toBe(
      'payments-blue on payments:12 ×3; payments-green on payments:12 ×0; rule 9683b2d0 payments-blue 100%, payments-green 0%; listener 0467ef3c payments-green 100%',
    );
  });

  it('writes a listener without weight as 0% and a service without revision as ?', () => {
    // Prepare
    const snapshot = {
      services: { primary: { service: 'web', exists: true, desiredCount: 2 } },
      listeners: { [LISTENER_ARN]: { [CHECKOUT_TG]: 0 } },
    };

    // Act
    const summary = snapshotSummary(snapshot);

    // Assess
    expect(summary).toBe('web on ? ×2; listener f2f7dc8e checkout 0%');
  });

  it('shortens ARNs to names people recognise', () => {
    // Prepare
    const arns = [CHECKOUT_TG, LISTENER_ARN, LISTENER_RULE_ARN];

    // Act
    const names = [targetGroupName(arns[0]!), listenerName(arns[1]!), listenerName(arns[2]!)];

    // Assess
    expect(names).toEqual(['checkout', 'listener f2f7dc8e', 'rule 9683b2d0']);
    expect(targetGroupName('not-an-arn')).toBe('not-an-arn');
  });
});

import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/vm/set-batch-targets.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { API_TG, fakeLedger, instanceId, ledgerItem, vmDeployment } from './vm-fixtures.ts';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ddbMock = mockClient(DynamoDBDocumentClient);

describe('SetBatchTargets', () => {
  beforeEach(() => {
    elbMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
    elbMock.on(DeregisterTargetsCommand).resolves({});
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    elbMock.on(RegisterTargetsCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("takes the batch's hosts out of the target group, on their port, and marks them out in the ledger", async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0), ledgerItem(instanceId(2), 0), ledgerItem(instanceId(3), 1)]);

    // Act
    const result = await handler({ action: 'deregister', deployment: vmDeployment(), group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    expect(result).toEqual({ targets: 2, drained: false });
    expect(elbMock).toHaveReceivedCommandWith(DeregisterTargetsCommand, {
      TargetGroupArn: API_TG,
      Targets: [
        { Id: instanceId(1), Port: 8080 },
        { Id: instanceId(2), Port: 8080 },
      ],
    });
    expect(ledger.get(instanceId(1))?.deregistered).toBe(true);
    expect(ledger.get(instanceId(3))?.deregistered).toBeUndefined();
  });

  it('leaves out a host that is not in the target group (a new one): nothing to take out, nothing to put back', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0), ledgerItem(instanceId(2), 0)]);
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: instanceId(1), Port: 8080 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: instanceId(2), Port: 8080 }, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered' } },
      ],
    });

    // Act
    const result = await handler({ action: 'deregister', deployment: vmDeployment(), group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    expect(result.targets).toBe(1);
    expect(elbMock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { Targets: [{ Id: instanceId(1), Port: 8080 }] });
    expect(ledger.get(instanceId(2))?.deregistered).toBeUndefined();
  });

  it('is drained only once no target of the batch is draining', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0, { deregistered: true })]);
    elbMock.on(DescribeTargetHealthCommand).resolvesOnce({
      TargetHealthDescriptions: [{ Target: { Id: instanceId(1), Port: 8080 }, TargetHealth: { State: 'draining' } }],
    }).resolves({ TargetHealthDescriptions: [{ Target: { Id: instanceId(1), Port: 8080 }, TargetHealth: { State: 'unused' } }] });
    const event = { action: 'drained' as const, deployment: vmDeployment(), group: 'fleet' as const, batch: 0 };

    // Act
    const first = await handler(event, lambdaContext());
    const second = await handler(event, lambdaContext());

    // Assess
    expect(first.drained).toBe(false);
    expect(second.drained).toBe(true);
  });

  it('does nothing when the hosts have no target group', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0)]);
    const deployment = vmDeployment({ targets: { executor: 'ssm', ec2Tags: { app: 'api' } } });

    // Act
    const result = await handler({ action: 'deregister', deployment, group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    expect(result).toEqual({ targets: 0, drained: true });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('puts back every host still out of its target group (the rollback), and only those', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { deregistered: false }),
      ledgerItem(instanceId(2), 1, { deregistered: true, status: 'failed' }),
      ledgerItem(instanceId(3), 1, { deregistered: true }),
    ]);

    // Act
    const result = await handler({ action: 'register-all', deployment: vmDeployment() }, lambdaContext());

    // Assess
    expect(result.targets).toBe(2);
    expect(elbMock).toHaveReceivedCommandWith(RegisterTargetsCommand, {
      TargetGroupArn: API_TG,
      Targets: [
        { Id: instanceId(2), Port: 8080 },
        { Id: instanceId(3), Port: 8080 },
      ],
    });
    expect(ledger.get(instanceId(2))?.deregistered).toBe(false);
  });
});

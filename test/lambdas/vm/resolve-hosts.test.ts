import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/vm/resolve-hosts.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { fakeLedger, instanceId, vmDeployment } from './vm-fixtures.ts';

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

/** EC2 answers `count` running instances (10.0.0.n), SSM knows them with these ping statuses. */
function fleet(count: number, ping: (n: number) => string | undefined = () => 'Online'): void {
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: ids.map((n) => ({ InstanceId: instanceId(n), PrivateIpAddress: `10.0.0.${n}` })) }],
  });
  ssmMock.on(DescribeInstanceInformationCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({
    InstanceInformationList: input.Filters[0]!.Values.flatMap((id) => {
      const status = ping(Number(id.slice(2)));
      return status === undefined ? [] : [{ InstanceId: id, PingStatus: status, IPAddress: `10.0.0.${Number(id.slice(2))}` }];
    }),
  }));
}

describe('ResolveHosts (SSM)', () => {
  beforeEach(() => {
    ec2Mock.reset();
    ssmMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds the running instances carrying every tag, plans 25%/50%/100% batches in the ledger and returns only counts', async () => {
    // Prepare
    fleet(10);
    const ledger = fakeLedger(ddbMock);

    // Act
    const summary = await handler({ deployment: vmDeployment(), group: 'fleet' }, lambdaContext());

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:app', Values: ['api'] },
        { Name: 'tag:env', Values: ['prod'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });
    expect(summary).toMatchObject({ group: 'fleet', executor: 'ssm', hostCount: 10, batchCount: 3, batches: [0, 1, 2], lastBatch: 2, skippedCount: 0 });
    expect([...ledger.values()].map((h) => h.batch)).toEqual([0, 0, 0, 1, 1, 2, 2, 2, 2, 2]);
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'pending', changed: false, address: '10.0.0.1', executor: 'ssm' });
  });

  it('asks SSM about at most 50 instances at a time', async () => {
    // Prepare
    fleet(120);
    fakeLedger(ddbMock);

    // Act
    await handler({ deployment: vmDeployment(), group: 'fleet' }, lambdaContext());

    // Assess
    const asked = ssmMock.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input.Filters?.[0]?.Values?.length);
    expect(asked).toEqual([50, 50, 20]);
  });

  it('refuses a fleet with an instance that is not Online, naming it, and writes no ledger', async () => {
    // Prepare
    fleet(4, (n) => (n === 3 ? 'ConnectionLost' : n === 4 ? undefined : 'Online'));
    fakeLedger(ddbMock);

    // Act
    const run = handler({ deployment: vmDeployment(), group: 'fleet' }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'HostsUnreachable' });
    await expect(run).rejects.toThrow(/i-00000000000000003: SSM agent ConnectionLost.*i-00000000000000004: not managed by SSM/);
    expect(ddbMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('skips the instances that are not Online when unreachableHosts is skip, and deploys to the others', async () => {
    // Prepare
    fleet(4, (n) => (n === 2 ? 'ConnectionLost' : 'Online'));
    const ledger = fakeLedger(ddbMock);

    // Act
    const summary = await handler({ deployment: vmDeployment({ unreachableHosts: 'skip' }), group: 'fleet' }, lambdaContext());

    // Assess
    expect(summary).toMatchObject({ hostCount: 3, skippedCount: 1, skipped: ['i-00000000000000002: SSM agent ConnectionLost'] });
    expect(ledger.get(instanceId(2))).toMatchObject({ status: 'skipped', batch: -1 });
  });

  it('fails with NoHosts when no instance carries the tags', async () => {
    // Prepare
    fleet(0);
    fakeLedger(ddbMock);

    // Act
    const run = handler({ deployment: vmDeployment(), group: 'fleet' }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'NoHosts' });
  });

  it('takes instance IDs (EC2 and on-premises) straight to SSM, without asking EC2', async () => {
    // Prepare
    ssmMock.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        { InstanceId: 'mi-0123456789abcdef0', PingStatus: 'Online', IPAddress: '192.168.1.5' },
        { InstanceId: instanceId(7), PingStatus: 'Online', IPAddress: '10.0.0.7' },
      ],
    });
    const ledger = fakeLedger(ddbMock);
    const deployment = vmDeployment({ targets: { executor: 'ssm', instanceIds: ['mi-0123456789abcdef0', instanceId(7)] } });

    // Act
    const summary = await handler({ deployment, group: 'fleet' }, lambdaContext());

    // Assess
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
    expect(summary.hostCount).toBe(2);
    expect(ledger.get('mi-0123456789abcdef0')).toMatchObject({ address: '192.168.1.5' });
  });
});


import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../lambdas/registry.ts';
import { handler } from '../../../lambdas/vm/artifact-trigger.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { ACCOUNT, REGION, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

// The config's VM services, as the config schema validates them (`vm:` next to `ecs:`).
vi.mock('../../../lambdas/shared/catalog.ts', () => ({
  loadCatalog: () => ({
    ecs: [],
    vm: [
      { name: 'api', strategy: 'rolling', artifacts: { bucket: 'acme-artifacts', prefix: 'api/', pattern: '*.tar.gz' } },
      { name: 'batch', strategy: 'canary', artifacts: { bucket: 'acme-artifacts', prefix: 'batch/', pattern: 'batch-*.tgz' } },
      { name: 'api-eu', strategy: 'blue-green', artifacts: { bucket: 'acme-artifacts', prefix: 'api/', pattern: '*.tar.gz' } },
    ],
  }),
}));

const sfnMock = mockClient(SFNClient);
const MACHINES = {
  rolling: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-vm-rolling`,
  canary: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-vm-canary`,
  'blue-green': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-vm-blue-green`,
};

/** An S3 `Object Created` event as EventBridge delivers it. */
function uploadEvent(key: string, bucket = 'acme-artifacts', sequencer = '0062E99A88DC407460') {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: '2026-01-31T12:00:00Z',
    region: REGION,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: '0', bucket: { name: bucket }, object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer }, reason: 'PutObject' },
  };
}

describe('ArtifactTrigger', () => {
  beforeEach(() => {
    sfnMock.reset();
    stubDeployerEnv();
    vi.stubEnv(ENV.vmStateMachines, JSON.stringify(MACHINES));
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => ({
      executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    }));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("starts the deployment of every service whose prefix and pattern match, on its strategy's VM state machine", async () => {
    // Act
    const result = await handler(uploadEvent('api/api-2.0.0.tar.gz'), lambdaContext());

    // Assess
    expect(result.started.map((s) => s.service)).toEqual(['api', 'api-eu']);
    const calls = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.stateMachineArn)).toEqual([MACHINES.rolling, MACHINES['blue-green']]);
    expect(JSON.parse(calls[0]!.input!)).toEqual({
      service: 'api',
      artifact: 's3://acme-artifacts/api/api-2.0.0.tar.gz',
      startedBy: 's3-upload',
      requestedAt: '2026-01-31T12:00:00Z',
      reason: 'upload of s3://acme-artifacts/api/api-2.0.0.tar.gz',
    });
    expect(calls[0]!.name).toMatch(/^api-[0-9a-f]{32}$/);
  });

  it('ignores checksum files, keys outside every prefix, and keys the pattern does not match', async () => {
    // Act
    const results = [
      await handler(uploadEvent('api/api-2.0.0.tar.gz.sha256'), lambdaContext()),
      await handler(uploadEvent('web/web-2.0.0.tar.gz'), lambdaContext()),
      await handler(uploadEvent('batch/batch-1.0.0.tar.gz'), lambdaContext()),
      await handler(uploadEvent('api/api-2.0.0.tar.gz', 'other-bucket'), lambdaContext()),
    ];

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(results.map((r) => r.ignored.length)).toEqual([1, 1, 1, 1]);
    expect(results[0]!.ignored[0]!.reason).toMatch(/checksum/);
  });

  it('starts one deployment for an event delivered twice (same execution name), and reports the duplicate', async () => {
    // Prepare
    const names: string[] = [];
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => {
      if (names.includes(input.name)) throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      names.push(input.name);
      return { executionArn: `${input.stateMachineArn}:${input.name}` };
    });

    // Act
    await handler(uploadEvent('batch/batch-1.0.0.tgz'), lambdaContext());
    const again = await handler(uploadEvent('batch/batch-1.0.0.tgz'), lambdaContext());
    const newWrite = await handler(uploadEvent('batch/batch-1.0.0.tgz', 'acme-artifacts', '0062E99A88DC407499'), lambdaContext());

    // Assess
    expect(again.duplicates).toEqual([{ service: 'batch', executionName: names[0] }]);
    expect(newWrite.started).toHaveLength(1);
    expect(names).toHaveLength(2);
  });

  it('refuses an event that is not an S3 Object Created event, naming the field', async () => {
    // Act
    const run = handler({ ...uploadEvent('api/a.tar.gz'), source: 'aws.ecr' }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(run).rejects.toThrow(/source/);
  });
});

import { CancelCommandCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../lambdas/registry.ts';
import { handler } from '../../../lambdas/vm/start-ssm-batch.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { ARTIFACT_SHA256, fakeLedger, instanceId, ledgerItem, vmDeployment } from './vm-fixtures.ts';

const ssmMock = mockClient(SSMClient);
/** Where the stack uploaded `vm/release.sh` (a CDK asset), and its sha256. */
const SCRIPT_BUCKET = 'cdk-hnb659fds-assets-123456789012-us-east-1';
const SCRIPT_SHA256 = 'c0ffee'.padEnd(64, '0');
const ddbMock = mockClient(DynamoDBDocumentClient);

/** The shell text of the n-th SendCommand. */
function commandText(n = 0): string {
  return ssmMock.commandCalls(SendCommandCommand)[n]!.args[0].input.Parameters!.commands![0]!;
}

describe('StartSsmBatch', () => {
  let sent = 0;

  beforeEach(() => {
    ssmMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    vi.stubEnv(ENV.vmCommandLogGroup, '/deployer/vm-commands');
    vi.stubEnv(ENV.releaseScriptObject, `s3://${SCRIPT_BUCKET}/${SCRIPT_SHA256}.sh`);
    vi.stubEnv(ENV.releaseScriptSha256, SCRIPT_SHA256);
    sent = 0;
    ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${(sent += 1)}` } }));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('sends the release script to the batch with Run Command: 50 instances per command, output to CloudWatch Logs, the script and the artifact as presigned URLs', async () => {
    // Prepare: 120 hosts in batch 1, 3 in batch 0
    const hosts = [
      ...[1, 2, 3].map((n) => ledgerItem(instanceId(n), 0)),
      ...Array.from({ length: 120 }, (_, i) => ledgerItem(instanceId(100 + i), 1)),
    ];
    const ledger = fakeLedger(ddbMock, undefined, hosts);

    // Act
    const started = await handler({ mode: 'deploy', deployment: vmDeployment({ maxErrors: '10%' }), group: 'fleet', batch: 1 }, lambdaContext());

    // Assess
    expect(started).toEqual({ hostCount: 120, notStarted: 0, commandIds: ['cmd-1', 'cmd-2', 'cmd-3'] });
    const calls = ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.InstanceIds?.length)).toEqual([50, 50, 20]);
    expect(calls[0]).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      MaxConcurrency: '50',
      MaxErrors: '10%',
      TimeoutSeconds: 600,
      CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: '/deployer/vm-commands' },
      Parameters: { executionTimeout: ['1800'] },
    });
    expect(calls.flatMap((c) => c.InstanceIds)).not.toContain(instanceId(1));
    const text = commandText();
    expect(text).toMatch(/^exec bash -s <<'DEPLOYER_EOF_[0-9a-f]+'\n/);
    expect(text).toContain(`export ARTIFACT_SHA256='${ARTIFACT_SHA256}'`);
    expect(text).toMatch(/export ARTIFACT_URL='https:\/\/acme-artifacts\.s3\.[a-z0-9-]+\.amazonaws\.com\/api\/api-2\.0\.0\.tar\.gz\?[^']*X-Amz-Expires=2400/);
    expect(text).toContain("export VERSION='2.0.0'");
    // The script is not in the command: the host downloads it from the stack's asset and checks its sha256.
    expect(text).not.toContain('DEPLOYER_RESULT');
    expect(text).toMatch(new RegExp(`curl [^\n]* -- 'https://${SCRIPT_BUCKET}\\.s3\\.[a-z0-9-]+\\.amazonaws\\.com/${SCRIPT_SHA256}\\.sh\\?[^']*X-Amz-Expires=2400`));
    expect(text).toContain(`!= '${SCRIPT_SHA256}' ]`);
    expect(Buffer.byteLength(text)).toBeLessThan(8 * 1024);
    expect(ledger.get(instanceId(100))).toMatchObject({ status: 'running', mode: 'deploy', commandId: 'cmd-1' });
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'pending' });
  });

  it('sends nothing again to hosts already running (a retried start)', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0, { status: 'running', commandId: 'cmd-0', mode: 'deploy' }), ledgerItem(instanceId(2), 0)]);

    // Act
    await handler({ mode: 'deploy', deployment: vmDeployment(), group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, { InstanceIds: [instanceId(2)] });
  });

  it('gives hosts whose health URL names them a command each', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0, { address: '10.0.0.1' }), ledgerItem(instanceId(2), 0, { address: '10.0.0.2' })]);
    const deployment = vmDeployment();
    deployment.release.healthUrl = 'http://{privateIp}:8080/health';

    // Act
    await handler({ mode: 'deploy', deployment, group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 2);
    expect(commandText(0)).toContain("export HEALTH_URL='http://10.0.0.1:8080/health'");
    expect(commandText(1)).toContain("export HEALTH_URL='http://10.0.0.2:8080/health'");
  });

  it('rolls back only the hosts this execution changed, each to the release it served before', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { status: 'succeeded', changed: true, releaseBefore: '1.9.0', releaseAfter: '2.0.0' }),
      ledgerItem(instanceId(2), 0, { status: 'failed', changed: true, releaseBefore: '1.8.0', phase: 'health' }),
      ledgerItem(instanceId(3), 0, { status: 'failed', changed: false, phase: 'download' }),
      ledgerItem(instanceId(4), 1),
    ]);

    // Act
    const started = await handler({ mode: 'rollback', deployment: vmDeployment() }, lambdaContext());

    // Assess
    expect(started.hostCount).toBe(2);
    const calls = ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds);
    expect(calls).toEqual([[instanceId(1)], [instanceId(2)]]);
    expect(commandText(0)).toContain("export DEPLOYER_MODE='rollback'");
    expect(commandText(0)).toContain("export ROLLBACK_TO='1.9.0'");
    expect(commandText(1)).toContain("export ROLLBACK_TO='1.8.0'");
    expect(commandText(0)).not.toContain('export ARTIFACT_URL=');
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'running', mode: 'rollback' });
    expect(ledger.get(instanceId(3))).toMatchObject({ status: 'failed' });
  });

  it('cancels the deploy a stopped execution left running before rolling its hosts back, and lets the script wait for it to end', async () => {
    // Prepare: the execution was stopped while batch 0's command ran on two hosts.
    const ledger = fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { status: 'running', mode: 'deploy', commandId: 'cmd-deploy', changed: false, releaseBefore: '1.9.0' }),
      ledgerItem(instanceId(2), 0, { status: 'running', mode: 'deploy', commandId: 'cmd-deploy', changed: false, releaseBefore: '1.9.0' }),
      ledgerItem(instanceId(3), 1),
    ]);
    ssmMock.on(CancelCommandCommand).resolves({});

    // Act
    const started = await handler({ mode: 'rollback', deployment: vmDeployment() }, lambdaContext());

    // Assess
    expect(ssmMock).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-deploy' });
    expect(ssmMock).toHaveReceivedCommandTimes(CancelCommandCommand, 1);
    expect(started.hostCount).toBe(2);
    // Half the batch timeout (1800 s) to wait for the cancelled run, the other half for the rollback.
    expect(commandText(0)).toContain("export LOCK_WAIT_SECONDS='900'");
    expect(commandText(0)).toContain("export ROLLBACK_TO='1.9.0'");
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'running', mode: 'rollback' });
  });

  it('rolls back even when the deploy command has ended meanwhile (nothing left to cancel)', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { status: 'running', mode: 'deploy', commandId: 'cmd-gone', changed: false, releaseBefore: '1.9.0' }),
    ]);
    ssmMock.on(CancelCommandCommand).rejects(Object.assign(new Error('The specified command ID is not valid.'), { name: 'InvalidCommandId' }));

    // Act
    const started = await handler({ mode: 'rollback', deployment: vmDeployment() }, lambdaContext());

    // Assess
    expect(started.hostCount).toBe(1);
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });

  it('sends no rollback over a run it could not cancel: another refusal of the cancel fails the start', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { status: 'running', mode: 'deploy', commandId: 'cmd-deploy', changed: false, releaseBefore: '1.9.0' }),
    ]);
    ssmMock.on(CancelCommandCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    // Act
    const started = handler({ mode: 'rollback', deployment: vmDeployment() }, lambdaContext());

    // Assess
    await expect(started).rejects.toThrow(/ssm:CancelCommand failed: AccessDeniedException/);
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 0);
  });

  it('refuses a release setting the script would refuse, naming the host and the field, before sending anything', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [ledgerItem(instanceId(1), 0)]);
    const deployment = vmDeployment();
    deployment.release.installDir = '/opt/api; rm -rf /';

    // Act
    const run = handler({ mode: 'deploy', deployment, group: 'fleet', batch: 0 }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(run).rejects.toThrow(/host i-00000000000000001\.installDir/);
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });
});

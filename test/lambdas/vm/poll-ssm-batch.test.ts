import { GetCommandInvocationCommand, ListCommandInvocationsCommand, SSMClient, type CommandInvocation } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { handler } from '../../../lambdas/vm/poll-ssm-batch.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { fakeLedger, instanceId, ledgerItem, vmDeployment } from './vm-fixtures.ts';

const ssmMock = mockClient(SSMClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

const SENT_AT = Date.parse('2026-01-31T12:05:00.000Z');

/** The output of a release script run that ended with `status`. */
function scriptOutput(status: 'SUCCEEDED' | 'ROLLED_BACK', phase: string, previous: string, current: string): string {
  const phases = ['validate', 'preflight', 'download', 'unpack', 'configure', 'permissions', 'stop', 'switch', 'start', 'health'];
  return [
    ...phases.slice(0, phases.indexOf(phase) + 1).map((p) => `DEPLOYER_PHASE ${p}`),
    ...(status === 'ROLLED_BACK' ? [`DEPLOYER_ROLLED_BACK ${previous}`] : []),
    `DEPLOYER_RESULT ${JSON.stringify({ status, phase, previous, current, message: status === 'SUCCEEDED' ? 'deployed' : 'health check failed', mode: 'deploy', version: '2.0.0' })}`,
  ].join('\n');
}

function invocation(id: string, status: string, output = '', code = -1, details?: string): CommandInvocation {
  return {
    InstanceId: id,
    Status: status as CommandInvocation['Status'],
    ...(details === undefined ? {} : { StatusDetails: details }),
    CommandPlugins: [{ Name: 'aws:runShellScript', Output: output, ResponseCode: code }],
  };
}

const running = (n: number) => ledgerItem(instanceId(n), 0, { status: 'running', mode: 'deploy', commandId: 'cmd-1', sentAt: SENT_AT });

describe('PollSsmBatch', () => {
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    ssmMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
    clock = SENT_AT + 1_000;
    restoreClock = useClock({ now: () => clock });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  const poll = (deployment = vmDeployment()) => handler({ mode: 'deploy', deployment, group: 'fleet', batch: 0 }, lambdaContext());

  it('takes an invocation SSM does not know yet, right after SendCommand, as not yet, not as a failure', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [running(1)]);
    ssmMock.on(ListCommandInvocationsCommand).rejects(Object.assign(new Error('invocation does not exist'), { name: 'InvocationDoesNotExist' }));

    // Act
    const progress = await poll();

    // Assess
    expect(progress).toMatchObject({ done: false, running: 1, failed: 0 });
  });

  it('records each ended host: its release before and after, its phase; done once every host ended', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [running(1), running(2)]);
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-1' }).resolves({
      CommandInvocations: [
        invocation(instanceId(1), 'Success', scriptOutput('SUCCEEDED', 'health', '1.9.0', '2.0.0'), 0),
        invocation(instanceId(2), 'InProgress'),
      ],
    });

    // Act
    const first = await poll();

    // Assess
    expect(first).toMatchObject({ done: false, succeeded: 1, running: 1 });
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'succeeded', releaseBefore: '1.9.0', releaseAfter: '2.0.0', phase: 'health', changed: true });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1', Details: true });

    // Act: the second host ends
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-1' }).resolves({
      CommandInvocations: [invocation(instanceId(2), 'Success', scriptOutput('SUCCEEDED', 'health', '1.9.0', '2.0.0'), 0)],
    });
    const second = await poll();

    // Assess
    expect(second).toMatchObject({ done: true, succeeded: 2, failed: 0, hostCount: 2 });
  });

  it('fails the batch when more hosts failed than maxErrors allows, naming each host and the phase it failed in', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [running(1), running(2)]);
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        invocation(instanceId(1), 'Success', scriptOutput('SUCCEEDED', 'health', '1.9.0', '2.0.0'), 0),
        invocation(instanceId(2), 'Failed', scriptOutput('ROLLED_BACK', 'health', '1.9.0', '1.9.0'), 1),
      ],
    });

    // Act
    const run = poll();

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'BatchFailed' });
    await expect(run).rejects.toThrow(/batch 1: 1 of 2 host\(s\) failed \(maxErrors allows 0\): i-00000000000000002 \(health\): health check failed/);
    expect(ledger.get(instanceId(2))).toMatchObject({ status: 'failed', phase: 'health', changed: true, releaseBefore: '1.9.0' });
  });

  it('tolerates failures up to maxErrors', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [running(1), running(2)]);
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        invocation(instanceId(1), 'Success', scriptOutput('SUCCEEDED', 'health', '1.9.0', '2.0.0'), 0),
        invocation(instanceId(2), 'Failed', scriptOutput('ROLLED_BACK', 'health', '1.9.0', '1.9.0'), 1),
      ],
    });

    // Act
    const progress = await poll(vmDeployment({ maxErrors: '50%' }));

    // Assess
    expect(progress).toMatchObject({ done: true, failed: 1, allowedFailures: 1 });
  });

  it('fails a host whose command is still Pending after the delivery timeout', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [running(1)]);
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [invocation(instanceId(1), 'Pending')] });
    clock = SENT_AT + 5 * 60_000;
    const early = await poll(vmDeployment({ maxErrors: 1 }));
    clock = SENT_AT + 12 * 60_000;

    // Act
    const late = await poll(vmDeployment({ maxErrors: 1 }));

    // Assess
    expect(early).toMatchObject({ done: false, running: 1 });
    expect(late).toMatchObject({ done: true, failed: 1 });
    expect(ledger.get(instanceId(1))).toMatchObject({ status: 'failed', changed: true });
    expect(ledger.get(instanceId(1))?.message).toMatch(/did not deliver the command within 600 s \(Pending\)/);
  });

  it('reads the full output when the listed one does not reach the result line', async () => {
    // Prepare
    const ledger = fakeLedger(ddbMock, undefined, [running(1)]);
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [invocation(instanceId(1), 'Success', 'DEPLOYER_PHASE validate\n...', 0)] });
    ssmMock.on(GetCommandInvocationCommand).resolves({ StandardOutputContent: scriptOutput('SUCCEEDED', 'health', '1.9.0', '2.0.0'), StandardErrorContent: '' });

    // Act
    const progress = await poll();

    // Assess
    expect(progress).toMatchObject({ done: true, succeeded: 1 });
    expect(ssmMock).toHaveReceivedCommandWith(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: instanceId(1) });
    expect(ledger.get(instanceId(1))).toMatchObject({ releaseBefore: '1.9.0', releaseAfter: '2.0.0' });
  });

  it('reports a failed rollback, naming the host that is not back', async () => {
    // Prepare
    fakeLedger(ddbMock, undefined, [
      ledgerItem(instanceId(1), 0, { status: 'running', mode: 'rollback', commandId: 'cmd-9', sentAt: SENT_AT, changed: true, releaseBefore: '1.9.0' }),
    ]);
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [invocation(instanceId(1), 'Failed', 'DEPLOYER_PHASE validate\n', 1)] });
    ssmMock.on(GetCommandInvocationCommand).resolves({ StandardOutputContent: 'DEPLOYER_PHASE validate\nDEPLOYER_PHASE preflight\n' });

    // Act
    const run = handler({ mode: 'rollback', deployment: vmDeployment() }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'HostRollbackFailed' });
    await expect(run).rejects.toThrow(/i-00000000000000001 \(preflight\)/);
  });
});

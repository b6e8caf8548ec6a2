import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedWorld } from '../../simulator/aws/world.ts';
import { VirtualClock } from '../../simulator/virtual-clock.ts';
import { LocalHost } from '../../simulator/vm/local-host.ts';
import { installWorld, rejectionOf, testConfig, type InstalledWorld } from './world-fixture.ts';

const ssm = new SSMClient({ region: 'us-east-1' });
const WEB_1 = 'i-0a1b2c3d4e5f60001';
const WEB_2 = 'i-0a1b2c3d4e5f60002';
const WEB_3 = 'i-0a1b2c3d4e5f60003';

function shell(instanceIds: string[], commands: string[], extra: Partial<SendCommandCommandInput> = {}): SendCommandCommand {
  return new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: instanceIds, Parameters: { commands }, ...extra });
}

async function invocationsOf(commandId: string): Promise<Array<{ InstanceId?: string; Status?: string; StatusDetails?: string; Output?: string; ResponseCode?: number }>> {
  const { CommandInvocations = [] } = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
  return CommandInvocations.map((i) => ({
    InstanceId: i.InstanceId,
    Status: i.Status,
    StatusDetails: i.StatusDetails,
    Output: i.CommandPlugins?.[0]?.Output,
    ResponseCode: i.CommandPlugins?.[0]?.ResponseCode,
  }));
}

describe('simulated SSM Run Command', () => {
  let installed: InstalledWorld;
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'deployer-ssm-test-'));
    installed = installWorld();
    for (const [index, id] of [WEB_1, WEB_2, WEB_3].entries()) {
      const host = new LocalHost({ name: `web-${index + 1}`, dir: path.join(root, `web-${index + 1}`), port: 18_000 + index });
      installed.world.vm.addInstance({ instanceId: id, tags: { app: 'web', env: index < 2 ? 'prod' : 'staging' }, host });
    }
  });

  afterEach(async () => {
    await installed.world.vm.settled();
    installed.uninstall();
    await rm(root, { recursive: true, force: true });
  });

  it('runs the commands with bash in each host directory, stdin closed, and reports Success with their output', async () => {
    // Prepare
    const { world, clock } = installed;

    // Act
    const { Command } = await ssm.send(shell([WEB_1, WEB_2], ['echo "shell: ${BASH_VERSION%%.*}"', 'pwd', 'if read -r line; then echo "stdin: $line"; else echo "stdin closed"; fi']));
    await world.vm.settled();
    clock.advance(30);
    const invocations = await invocationsOf(Command!.CommandId!);

    // Assess
    expect(Command).toMatchObject({ Status: 'Pending', TargetCount: 0, DocumentName: 'AWS-RunShellScript', InstanceIds: [WEB_1, WEB_2] });
    expect(invocations).toEqual([
      { InstanceId: WEB_1, Status: 'Success', StatusDetails: 'Success', Output: expect.stringMatching(/shell: [45]\n.*web-1\nstdin closed\n$/s), ResponseCode: 0 },
      { InstanceId: WEB_2, Status: 'Success', StatusDetails: 'Success', Output: expect.stringMatching(/web-2\nstdin closed\n$/s), ResponseCode: 0 },
    ]);
  });

  it('hides the invocations for a moment after SendCommand (InvocationDoesNotExist, an empty list), then shows them Pending, InProgress, done', async () => {
    // Prepare
    const { world, clock } = installed;
    const { Command } = await ssm.send(shell([WEB_1], ['echo done']));
    const commandId = Command!.CommandId!;

    // Act
    const hidden = await rejectionOf(ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: WEB_1 })));
    const emptyList = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    clock.advance(1);
    const started = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: WEB_1 }));
    await world.vm.settled();
    clock.advance(1);
    const ended = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: WEB_1 }));

    // Assess
    expect(hidden.name).toBe('InvocationDoesNotExist');
    expect(emptyList.CommandInvocations).toEqual([]);
    expect(started).toMatchObject({ Status: 'InProgress', ResponseCode: -1, StandardOutputContent: '' });
    expect(ended).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: 'done\n', PluginName: 'aws:runShellScript' });
  });

  it('reports a failing script Failed with its exit code, stderr after the ERROR line', async () => {
    // Prepare
    const { world, clock } = installed;

    // Act
    const { Command } = await ssm.send(shell([WEB_1], ['echo before', 'echo broken >&2', 'exit 3']));
    await world.vm.settled();
    clock.advance(30);
    const [invocation] = await invocationsOf(Command!.CommandId!);
    const detail = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: WEB_1 }));

    // Assess
    expect(invocation).toEqual({ InstanceId: WEB_1, Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3, Output: 'before\n\n----------ERROR-------\nbroken\n' });
    expect(detail).toMatchObject({ StandardOutputContent: 'before\n', StandardErrorContent: 'broken\n', ResponseCode: 3 });
  });

  it('refuses an offline instance by ID; one tag Targets select stays Pending, then ends DeliveryTimedOut at TimeoutSeconds; one back online in time runs', async () => {
    // Prepare
    const { world, clock } = installed;
    world.vm.setOffline(WEB_1);
    world.vm.setOffline(WEB_2);
    const refused = await rejectionOf(ssm.send(shell([WEB_1], ['echo ran'])));
    const { Command } = await ssm.send(
      new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Targets: [{ Key: 'tag:env', Values: ['prod'] }], Parameters: { commands: ['echo ran'] }, TimeoutSeconds: 60 }),
    );

    // Act
    clock.advance(30);
    const waiting = await invocationsOf(Command!.CommandId!);
    world.vm.setOnline(WEB_2);
    await world.vm.settled();
    clock.advance(31);
    const ended = await invocationsOf(Command!.CommandId!);
    const [listed] = (await ssm.send(new ListCommandsCommand({ CommandId: Command!.CommandId! }))).Commands ?? [];

    // Assess
    expect(refused.name).toBe('InvalidInstanceId');
    expect(waiting.map((i) => i.Status)).toEqual(['Pending', 'Pending']);
    expect(ended).toEqual([
      expect.objectContaining({ InstanceId: WEB_1, Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 }),
      expect.objectContaining({ InstanceId: WEB_2, Status: 'Success', Output: 'ran\n' }),
    ]);
    expect(listed).toMatchObject({ Status: 'Failed', StatusDetails: 'Incomplete', TargetCount: 2, CompletedCount: 2, DeliveryTimedOutCount: 1, ErrorCount: 0 });
  });

  it('ends a hanging host ExecutionTimedOut at its executionTimeout, and kills a real script at it', async () => {
    // Prepare
    const { world, clock } = installed;
    world.vm.hangHost(WEB_1);

    // Act
    const { Command } = await ssm.send(shell([WEB_1, WEB_2], ['sleep 30'], { Parameters: { commands: ['sleep 30'], executionTimeout: ['2'] } }));
    await world.vm.settled();
    clock.advance(2);
    const running = await invocationsOf(Command!.CommandId!);
    clock.advance(10);
    const ended = await invocationsOf(Command!.CommandId!);

    // Assess
    expect(running.map((i) => i.Status)).toEqual(['InProgress', 'InProgress']);
    expect(ended.map((i) => [i.Status, i.StatusDetails])).toEqual([
      ['TimedOut', 'ExecutionTimedOut'],
      ['TimedOut', 'ExecutionTimedOut'],
    ]);
  });

  it('stops sending once errors exceed MaxErrors: the rest end Cancelled', async () => {
    // Prepare
    const { world, clock } = installed;
    world.vm.failHost(WEB_1, 'disk on fire');

    // Act
    const { Command } = await ssm.send(shell([WEB_1, WEB_2, WEB_3], ['echo ran'], { MaxConcurrency: '1', MaxErrors: '0' }));
    await world.vm.settled();
    clock.advance(60);
    const ended = await invocationsOf(Command!.CommandId!);
    const [listed] = (await ssm.send(new ListCommandsCommand({ CommandId: Command!.CommandId! }))).Commands ?? [];

    // Assess
    expect(ended.map((i) => [i.InstanceId, i.Status])).toEqual([
      [WEB_1, 'Failed'],
      [WEB_2, 'Cancelled'],
      [WEB_3, 'Cancelled'],
    ]);
    expect(ended[0]?.Output).toContain('disk on fire');
    expect(listed).toMatchObject({ Status: 'Failed', ErrorCount: 1, MaxConcurrency: '1', MaxErrors: '0' });
  });

  it('runs one invocation at a time with MaxConcurrency 1, each starting when the previous ends', async () => {
    // Prepare
    const { world, clock } = installed;
    world.vm.slowHost(WEB_1, 60);

    // Act
    const { Command } = await ssm.send(shell([WEB_1, WEB_2], ['echo ran'], { MaxConcurrency: '1' }));
    await world.vm.settled();
    clock.advance(30);
    const during = await invocationsOf(Command!.CommandId!);
    clock.advance(60);
    const after = await invocationsOf(Command!.CommandId!);

    // Assess
    expect(during.map((i) => i.Status)).toEqual(['InProgress', 'Pending']);
    expect(after.map((i) => i.Status)).toEqual(['Success', 'Success']);
  });

  it('ends Undeliverable an invocation whose instance was terminated before it was sent', async () => {
    // Prepare
    const { world, clock } = installed;
    world.vm.slowHost(WEB_1, 60);
    const { Command } = await ssm.send(shell([WEB_1, WEB_2], ['echo ran'], { MaxConcurrency: '1' }));

    // Act
    world.vm.setState(WEB_2, 'terminated');
    await world.vm.settled();
    clock.advance(120);
    const ended = await invocationsOf(Command!.CommandId!);
    const [listed] = (await ssm.send(new ListCommandsCommand({ CommandId: Command!.CommandId! }))).Commands ?? [];

    // Assess
    expect(ended.map((i) => [i.InstanceId, i.Status, i.StatusDetails])).toEqual([
      [WEB_1, 'Success', 'Success'],
      [WEB_2, 'Failed', 'Undeliverable'],
    ]);
    // Undeliverable invocations count neither as errors nor against the command's Success.
    expect(listed).toMatchObject({ Status: 'Success', ErrorCount: 0, CompletedCount: 2 });
  });

  it('cancels a running command: its script is killed and its invocations end Cancelled', async () => {
    // Prepare
    const { world, clock } = installed;
    const { Command } = await ssm.send(shell([WEB_1], ['sleep 20', 'echo finished']));
    clock.advance(2);

    // Act
    await ssm.send(new CancelCommandCommand({ CommandId: Command!.CommandId! }));
    const started = Date.now();
    await world.vm.settled();
    const [invocation] = await invocationsOf(Command!.CommandId!);

    // Assess
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(invocation).toMatchObject({ Status: 'Cancelled', StatusDetails: 'Cancelled' });
  });

  it('selects managed instances by tag with Targets', async () => {
    // Prepare
    const { world, clock } = installed;

    // Act
    const { Command } = await ssm.send(
      new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Targets: [{ Key: 'tag:env', Values: ['prod'] }], Parameters: { commands: ['true'] } }),
    );
    await world.vm.settled();
    clock.advance(30);

    // Assess
    expect((await invocationsOf(Command!.CommandId!)).map((i) => i.InstanceId)).toEqual([WEB_1, WEB_2]);
  });

  it('refuses what SSM refuses: unmanaged or unknown instances, more than 50 IDs, no commands, another document', async () => {
    // Prepare
    const { world } = installed;
    world.vm.addInstance({ instanceId: 'i-0a1b2c3d4e5f60009', managed: false });
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `i-0a1b2c3d4e5f6${String(i).padStart(4, '0')}`);

    // Act
    const unmanaged = await rejectionOf(ssm.send(shell(['i-0a1b2c3d4e5f60009'], ['true'])));
    const unknown = await rejectionOf(ssm.send(shell(['i-0fffffffffffffff0'], ['true'])));
    const tooMany = await rejectionOf(ssm.send(shell(fiftyOne, ['true'])));
    const noCommands = await rejectionOf(ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [WEB_1], Parameters: {} })));
    const otherDocument = await rejectionOf(ssm.send(shell([WEB_1], ['true'], { DocumentName: 'Acme-Deploy' })));
    const badTimeout = await rejectionOf(ssm.send(shell([WEB_1], ['true'], { TimeoutSeconds: 10 })));

    // Assess
    expect(unmanaged.name).toBe('InvalidInstanceId');
    expect(unknown.name).toBe('InvalidInstanceId');
    expect(tooMany).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('less than or equal to 50') });
    expect(noCommands.name).toBe('InvalidParameters');
    expect(otherDocument.name).toBe('InvalidDocument');
    expect(badTimeout.name).toBe('ValidationException');
    expect(world.ssm.sentCommands()).toHaveLength(0);
  });

  it('truncates output as SSM does: 2,500 characters in ListCommandInvocations, 24,000 of stdout and 8,000 of stderr in GetCommandInvocation', async () => {
    // Prepare
    const { world, clock } = installed;

    // Act
    const { Command } = await ssm.send(
      shell([WEB_1], ['head -c 30000 /dev/zero | tr "\\0" x', 'head -c 9000 /dev/zero | tr "\\0" e >&2'], { CloudWatchOutputConfig: { CloudWatchOutputEnabled: true } }),
    );
    await world.vm.settled();
    clock.advance(30);
    const [listed] = await invocationsOf(Command!.CommandId!);
    const detail = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: WEB_1 }));

    // Assess
    expect(listed?.Output).toHaveLength(2_500);
    expect(detail.StandardOutputContent).toHaveLength(24_000);
    expect(detail.StandardErrorContent).toHaveLength(8_000);
    expect(world.ssm.cloudWatchOutput(Command!.CommandId!, WEB_1)?.stdout).toHaveLength(30_000);
  });

  it('records SendCommand against the document and every instance it targets', async () => {
    // Prepare
    const { world } = installed;

    // Act
    await world.withCaller({ functionKey: 'StartBatch' }, () => ssm.send(shell([WEB_1, WEB_2], ['true'])));

    // Assess
    expect(world.calls.filter((c) => c.action === 'ssm:SendCommand')).toEqual([
      expect.objectContaining({
        caller: { functionKey: 'StartBatch' },
        resources: [
          'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
          `arn:aws:ec2:us-east-1:123456789012:instance/${WEB_1}`,
          `arn:aws:ec2:us-east-1:123456789012:instance/${WEB_2}`,
        ],
      }),
    ]);
  });
});

describe('simulated SSM DescribeInstanceInformation', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('reports each managed instance Online or ConnectionLost, filtered by InstanceIds and tag, page by page', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const ids = Array.from({ length: 7 }, (_, i) => `i-0a1b2c3d4e5f6000${i}`);
    for (const [i, id] of ids.entries()) world.vm.addInstance({ instanceId: id, tags: { app: i < 6 ? 'api' : 'batch' } });
    world.vm.addInstance({ instanceId: 'i-0a1b2c3d4e5f60009', managed: false, tags: { app: 'api' } });
    world.vm.setOffline(ids[1]!);

    // Act
    const first = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:app', Values: ['api'] }], MaxResults: 5 }));
    const second = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:app', Values: ['api'] }], MaxResults: 5, NextToken: first.NextToken }));
    const byId = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [ids[1]!, ids[6]!] }] }));

    // Assess
    const listed = [...(first.InstanceInformationList ?? []), ...(second.InstanceInformationList ?? [])];
    expect(listed.map((i) => i.InstanceId)).toEqual(ids.slice(0, 6));
    expect(second.NextToken).toBeUndefined();
    expect(byId.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus])).toEqual([
      [ids[1], 'ConnectionLost'],
      [ids[6], 'Online'],
    ]);
    expect(byId.InstanceInformationList?.[1]).toMatchObject({ ResourceType: 'EC2Instance', PlatformType: 'Linux', IPAddress: expect.stringMatching(/^10\.0\./) });
  });
});

describe('simulated SSM on the rehearsal clock', () => {
  it('holds virtual time while a script runs on a host: a deployment waiting 5 s sees the 1 s script done', async () => {
    // Prepare
    const root = await mkdtemp(path.join(os.tmpdir(), 'deployer-ssm-clock-'));
    const clock = new VirtualClock(Date.parse('2026-01-05T09:00:00.000Z'));
    const world = new SimulatedWorld({
      config: testConfig({ only: ['web'] }),
      now: () => clock.now(),
      sleep: (seconds) => clock.sleep(seconds),
      holdClock: () => {
        clock.begin();
        return () => clock.end();
      },
    });
    const uninstall = world.install();
    world.vm.addInstance({ instanceId: WEB_1, host: new LocalHost({ name: 'web-1', dir: path.join(root, 'web-1'), port: 18_100 }) });
    clock.begin();

    try {
      // Act
      const { Command } = await ssm.send(shell([WEB_1], ['sleep 1', 'echo slept']));
      await clock.sleep(5);
      const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: WEB_1 }));

      // Assess
      expect(invocation).toMatchObject({ Status: 'Success', StandardOutputContent: 'slept\n' });
      expect(Date.parse(invocation.ExecutionEndDateTime!) - Date.parse(invocation.ExecutionStartDateTime!)).toBe(2_000);
    } finally {
      clock.end();
      await world.vm.settled();
      uninstall();
      await rm(root, { recursive: true, force: true });
    }
  });
});

import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { StartedExecution, TaskResult } from '../../simulator/aws/sfn.ts';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const sfn = new SFNClient({ region: 'us-east-1' });
const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:EcsDeployerRolling';

describe('simulated Step Functions', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('starts an execution once per name and input while it runs, like a Standard workflow', async () => {
    // Prepare
    installed = installWorld();
    const started: Array<StartedExecution & { caller: string }> = [];
    installed.world.sfn.onStart = (execution) => started.push({ ...execution, caller: 'hook' });
    const input = '{"service":"web"}';

    // Act
    const first = await installed.world.withCaller({ functionKey: 'Trigger' }, () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web-v1-1-0', input })),
    );
    const duplicate = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web-v1-1-0', input }));
    const otherInput = await rejectionOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web-v1-1-0', input: '{"service":"api"}' })),
    );
    installed.world.sfn.setStatus(first.executionArn ?? '', 'SUCCEEDED', { output: { ok: true } });
    const afterEnd = await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web-v1-1-0', input })));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));

    // Assess
    expect(first.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:EcsDeployerRolling:web-v1-1-0');
    expect(duplicate.executionArn).toBe(first.executionArn);
    expect(started).toEqual([
      { executionArn: first.executionArn, name: 'web-v1-1-0', input, stateMachineArn, caller: 'hook' },
    ]);
    expect(otherInput).toBeInstanceOf(ExecutionAlreadyExists);
    expect(afterEnd).toBeInstanceOf(ExecutionAlreadyExists);
    expect(described).toMatchObject({ status: 'SUCCEEDED', input, output: '{"ok":true}', name: 'web-v1-1-0' });
    expect(described.stopDate).toBeInstanceOf(Date);
  });

  it('refuses invalid names, bad input and unknown state machines', async () => {
    // Prepare
    installed = installWorld({ stateMachineArns: [stateMachineArn] });

    // Act
    const badName = await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web:v1.1.0' })));
    const badInput = await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{' })));
    const unknown = await rejectionOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-other` })),
    );

    // Assess
    expect(badName).toBeInstanceOf(InvalidName);
    expect(badInput.name).toBe('InvalidExecutionInput');
    expect(unknown).toBeInstanceOf(StateMachineDoesNotExist);
    expect(installed.world.sfn.executions()).toEqual([]);
  });

  it('runs onStart outside the caller, so work it starts is not attributed to the trigger', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    let callerInHook = '';
    world.sfn.onStart = () => {
      callerInHook = world.calls.length > 0 ? 'recorded-before-hook' : 'not-recorded';
    };

    // Act
    await world.withCaller({ functionKey: 'Trigger' }, () => sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'x' })));

    // Assess
    expect(callerInHook).toBe('recorded-before-hook');
  });

  it('answers each task token once: SendTaskSuccess or SendTaskFailure, reported to onTaskResult outside the caller', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'checkout-1' }));
    const approve = world.sfn.issueTaskToken(executionArn, 'WaitForApproval');
    const reject = world.sfn.issueTaskToken(executionArn, 'WaitForApproval2');
    const results: Array<[string, TaskResult, string, number]> = [];
    world.sfn.onTaskResult = (token, result, task) => results.push([token, result, task.stateName, world.calls.length]);

    // Act
    await world.withCaller({ functionKey: 'Approve' }, () => sfn.send(new SendTaskSuccessCommand({ taskToken: approve, output: '{"approvedBy":"alice"}' })));
    const again = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: approve, output: '{}' })));
    const badOutput = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: reject, output: 'not json' })));
    await sfn.send(new SendTaskFailureCommand({ taskToken: reject, error: 'ApprovalRejected', cause: 'bob said no' }));
    const forged = await rejectionOf(sfn.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'x' })));
    const late = world.sfn.issueTaskToken(executionArn, 'WaitForApproval3');
    world.sfn.setStatus(executionArn, 'SUCCEEDED');
    const ended = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: late, output: '{}' })));

    // Assess
    expect(approve).not.toBe(reject);
    expect(results).toEqual([
      [approve, { output: '{"approvedBy":"alice"}' }, 'WaitForApproval', 2],
      [reject, { error: 'ApprovalRejected', cause: 'bob said no' }, 'WaitForApproval2', 5],
    ]);
    expect(again).toBeInstanceOf(TaskTimedOut);
    expect(again.message).toBe("Task Timed Out: 'Provided task does not exist anymore'");
    expect(badOutput).toBeInstanceOf(InvalidOutput);
    expect(forged).toBeInstanceOf(InvalidToken);
    expect(ended).toBeInstanceOf(TaskTimedOut);
    expect(world.calls.map((c) => [c.action, c.resources, c.error])).toEqual([
      ['states:StartExecution', [stateMachineArn], undefined],
      ['states:SendTaskSuccess', ['*'], undefined],
      ['states:SendTaskSuccess', ['*'], 'TaskTimedOut'],
      ['states:SendTaskSuccess', ['*'], 'InvalidOutput'],
      ['states:SendTaskFailure', ['*'], undefined],
      ['states:SendTaskFailure', ['*'], 'InvalidToken'],
      ['states:SendTaskSuccess', ['*'], 'TaskTimedOut'],
    ]);
    expect(world.calls[1]?.caller).toEqual({ functionKey: 'Approve' });
  });

  it('stops a running execution with its error and cause, tells onStop, and refuses unknown executions', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'checkout-2' }));
    const token = world.sfn.issueTaskToken(executionArn, 'WaitForApproval');
    const stops: Array<[string, string | undefined, string | undefined]> = [];
    world.sfn.onStop = (arn, error, cause) => stops.push([arn, error, cause]);

    // Act
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Aborted', cause: 'stopped by alice' }));
    const twice = await sfn.send(new StopExecutionCommand({ executionArn }));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const unknown = await rejectionOf(sfn.send(new StopExecutionCommand({ executionArn: `${executionArn}-other` })));
    const answer = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));

    // Assess
    expect(stopped.stopDate?.getTime()).toBe(installed.clock.now());
    expect(twice.stopDate?.getTime()).toBe(installed.clock.now());
    expect(stops).toEqual([[executionArn, 'Aborted', 'stopped by alice']]);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Aborted', cause: 'stopped by alice' });
    expect(unknown).toBeInstanceOf(ExecutionDoesNotExist);
    expect(answer).toBeInstanceOf(TaskTimedOut);
    expect(world.calls.filter((c) => c.action === 'states:StopExecution').map((c) => c.resources)).toEqual([
      [executionArn],
      [executionArn],
      [`${executionArn}-other`],
    ]);
  });
});

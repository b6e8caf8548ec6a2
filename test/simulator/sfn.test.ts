import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidName,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { StartedExecution } from '../../simulator/aws/sfn.ts';
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
});

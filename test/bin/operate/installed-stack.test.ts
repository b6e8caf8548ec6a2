/**
 * Finding the installed deployer: the stack by name (`--stack`, default
 * EcsDeployer) and its outputs; a missing stack or output, or AWS refusing,
 * is one line saying what to do, exit 1.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  STACK_OUTPUTS,
  awsError,
  cloudFormation,
  executionIs,
  heldBy,
  lockIs,
  run,
  stackInstalled,
  table,
  useInstalledDeployer,
} from './operate-fixtures.ts';

describe('the installed stack', () => {
  useInstalledDeployer();

  it('exits 1 and says to run cdk deploy when the stack is not installed', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id EcsDeployer does not exist'));

    // Act
    const { code, stdout, stderr } = await run('status');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "deployer: the deployer stack EcsDeployer is not installed in this account and region; run `npx cdk deploy` in the deployer's checkout to install or update it, or pass --stack NAME (now EcsDeployer) and --region REGION if it is installed elsewhere\n",
    );
    expect(table).not.toHaveReceivedAnyCommand();
  });

  it('exits 1 and names the missing outputs of an older stack', async () => {
    // Prepare
    const { RollingStateMachineArn: _r, CanaryStateMachineArn: _c, ...older } = STACK_OUTPUTS;
    stackInstalled({ ...older, StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:EcsDeployer-ecs-rolling' });

    // Act
    const { code, stderr } = await run('approve', 'checkout');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(
      'deployer: the stack EcsDeployer (UPDATE_COMPLETE) has no output RollingStateMachineArn, CanaryStateMachineArn: it is not an up-to-date deployer stack; run `npx cdk deploy`',
    );
  });

  it('still serves the ECS services of a stack that predates VM services (no VM state machine outputs)', async () => {
    // Prepare
    const { VmRollingStateMachineArn: _r, VmCanaryStateMachineArn: _c, VmBlueGreenStateMachineArn: _b, ...older } = STACK_OUTPUTS;
    stackInstalled(older);
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(table).toHaveReceivedCommandWith(UpdateCommand, { Key: { pk: 'SERVICE#checkout', sk: 'LOCK' } });
  });

  it('looks up the stack given with --stack and repeats it in the commands it suggests', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');

    // Act
    const { code, stderr } = await run('approve', 'checkout', '--stack', 'Deployer-Prod', '--region', 'eu-west-1');

    // Assess
    expect(code).toBe(1);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'Deployer-Prod' });
    expect(table).toHaveReceivedCommandWith(GetCommand, { TableName: STACK_OUTPUTS.TableName });
    expect(stderr).toContain('`deployer promote checkout --stack Deployer-Prod --region eu-west-1`');
  });

  it('exits 1 with one line when there are no AWS credentials', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    // Act
    const { code, stderr } = await run('status', 'web');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: cloudformation:DescribeStacks failed (CredentialsProviderError: Could not load credentials from any providers); no AWS credentials found: set AWS_PROFILE, run `aws sso login` or `aws configure`, then try again\n',
    );
  });

  it('exits 2 for a region that is not one', async () => {
    // Act
    const { code, stderr } = await run('status', '--region', 'europe');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe("deployer: --region: 'europe' is not an AWS region; use a code such as us-east-1\n");
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});

/**
 * The deployer as installed by `cdk deploy`: its CloudFormation stack's
 * outputs name the table and the state machines the CLI talks to.
 */
import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import * as z from 'zod';
import { isVmService, type ServiceConfig, type Strategy } from '../../../lambdas/shared/config.ts';
import { AwsFailure, awsRequest } from './aws-failure.ts';

/**
 * Name of the installed stack. The same as `STACK_NAME` in
 * infra/deployer-app.ts, repeated here because importing that module would
 * load aws-cdk-lib and cdk-nag into every CLI command.
 */
export const DEFAULT_STACK_NAME = 'EcsDeployer';

/** The stack outputs the CLI needs, by output key. */
const StackOutputsSchema = z.object({
  TableName: z.string().min(1),
  RollingStateMachineArn: z.string().min(1),
  CanaryStateMachineArn: z.string().min(1),
  BlueGreenStateMachineArn: z.string().min(1),
  TopicArn: z.string().min(1),
});

const OUTPUT_KEYS = Object.keys(StackOutputsSchema.shape) as (keyof z.output<typeof StackOutputsSchema>)[];

/**
 * The VM state machines' outputs (infra/deployer-stack.ts). Optional: a
 * stack installed before VM services existed still serves its ECS services;
 * only a command acting on a VM deployment needs them (see {@link stateMachineOf}).
 */
const VM_OUTPUT_KEYS: Readonly<Record<Strategy, string>> = {
  rolling: 'VmRollingStateMachineArn',
  canary: 'VmCanaryStateMachineArn',
  'blue-green': 'VmBlueGreenStateMachineArn',
};

/** What the CLI knows of an installed deployer. */
export interface InstalledStack {
  stackName: string;
  /** DynamoDB table of locks and history. */
  tableName: string;
  /** The state machine of each strategy (ECS services). */
  stateMachines: Record<Strategy, string>;
  /** The state machine of each strategy for VM services, by strategy; a strategy is absent when the stack has no output for it. */
  vmStateMachines: Partial<Record<Strategy, string>>;
  /** SNS topic of the notifications. */
  topicArn: string;
}

/** How a person points the CLI at another stack or region. */
function howToFix(stackName: string): string {
  return `run \`npx cdk deploy\` in the deployer's checkout to install or update it, or pass --stack NAME (now ${stackName}) and --region REGION if it is installed elsewhere`;
}

function isMissingStack(error: AwsFailure): boolean {
  return error.awsErrorName === 'ValidationError' && /does not exist/i.test(error.message);
}

/**
 * Describe the stack `stackName` and read its outputs. Throws `AwsFailure`
 * (exit 1) when the stack is not installed or lacks an output, saying to
 * run `cdk deploy` or pass --stack.
 */
export async function findInstalledStack(client: CloudFormationClient, stackName: string): Promise<InstalledStack> {
  let stack: Stack | undefined;
  try {
    const out = await awsRequest('cloudformation:DescribeStacks', () => client.send(new DescribeStacksCommand({ StackName: stackName })));
    stack = out.Stacks?.[0];
  } catch (error) {
    if (error instanceof AwsFailure && isMissingStack(error)) {
      throw new AwsFailure(`the deployer stack ${stackName} is not installed in this account and region; ${howToFix(stackName)}`, error.awsErrorName, {
        cause: error,
      });
    }
    throw error;
  }
  if (stack === undefined) {
    throw new AwsFailure(`the deployer stack ${stackName} is not installed in this account and region; ${howToFix(stackName)}`);
  }
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).filter((o) => o.OutputKey !== undefined).map((o) => [o.OutputKey!, o.OutputValue]),
  );
  const parsed = StackOutputsSchema.safeParse(outputs);
  if (!parsed.success) {
    const missing = OUTPUT_KEYS.filter((key) => typeof outputs[key] !== 'string' || outputs[key] === '');
    throw new AwsFailure(
      `the stack ${stackName} (${stack.StackStatus ?? 'unknown status'}) has no output ${missing.join(', ')}: it is not an up-to-date deployer stack; ${howToFix(stackName)}`,
    );
  }
  const o = parsed.data;
  const vmStateMachines: Partial<Record<Strategy, string>> = {};
  for (const [strategy, key] of Object.entries(VM_OUTPUT_KEYS) as [Strategy, string][]) {
    const arn = outputs[key];
    if (typeof arn === 'string' && arn !== '') vmStateMachines[strategy] = arn;
  }
  return {
    stackName,
    tableName: o.TableName,
    stateMachines: { rolling: o.RollingStateMachineArn, canary: o.CanaryStateMachineArn, 'blue-green': o.BlueGreenStateMachineArn },
    vmStateMachines,
    topicArn: o.TopicArn,
  };
}

/**
 * The state machine that deploys `svc`: its strategy's, of its kind (ECS or
 * VM). Throws `AwsFailure` (exit 1) when the stack predates VM services and
 * so has no output for it, saying to update the stack.
 */
export function stateMachineOf(stack: InstalledStack, svc: ServiceConfig): string {
  if (!isVmService(svc)) return stack.stateMachines[svc.strategy];
  const arn = stack.vmStateMachines[svc.strategy];
  if (arn === undefined) {
    throw new AwsFailure(
      `the stack ${stack.stackName} has no output ${VM_OUTPUT_KEYS[svc.strategy]}, so it cannot deploy the VM service ${svc.name}: it predates VM services; ${howToFix(stack.stackName)}`,
    );
  }
  return arn;
}

/**
 * Every Lambda of the deployer, in one list used by CDK (to build the
 * functions and the state machine's definition substitutions) and by the
 * local rehearsal (to call the same handlers in-process).
 *
 * A Task state's `Resource` in the ASL is `${<Key>FunctionArn}`.
 */
export interface FunctionSpec {
  /** Source file, relative to the repository root. */
  entry: string;
  /** What the function does (the Lambda's description). */
  description: string;
  /** Whether the validated config is compiled into the bundle. */
  needsConfig: boolean;
}

export const STATE_MACHINE_FUNCTIONS = {
  ValidateInput: {
    entry: 'lambdas/validate-input.ts',
    description: 'Validates a deployment request against the config and pins the image by digest',
    needsConfig: true,
  },
  AcquireLock: {
    entry: 'lambdas/acquire-lock.ts',
    description: 'Takes or waits for the per-service deployment lock; newest waiting deployment wins',
    needsConfig: false,
  },
  ReleaseLock: {
    entry: 'lambdas/release-lock.ts',
    description: 'Releases the per-service deployment lock held by this execution',
    needsConfig: false,
  },
  DescribeService: {
    entry: 'lambdas/describe-service.ts',
    description: 'Reads the task definition and image an ECS service runs',
    needsConfig: false,
  },
  RegisterTaskDefinition: {
    entry: 'lambdas/register-task-definition.ts',
    description: 'Registers a task definition revision with one container image replaced',
    needsConfig: false,
  },
  UpdateService: {
    entry: 'lambdas/update-service.ts',
    description: 'Points an ECS service at a task definition (deploy or roll back)',
    needsConfig: false,
  },
  CheckRollout: {
    entry: 'lambdas/check-rollout.ts',
    description: 'Reports the progress of an ECS rollout; fails on circuit breaker or timeout',
    needsConfig: false,
  },
  Verify: {
    entry: 'lambdas/verify.ts',
    description: 'One verification step of the bake: CloudWatch alarms and the HTTP health check',
    needsConfig: false,
  },
  RecordEvent: {
    entry: 'lambdas/record-event.ts',
    description: 'Writes the deployment history and puts the lifecycle event on EventBridge',
    needsConfig: false,
  },
} as const satisfies Record<string, FunctionSpec>;

export const EVENT_FUNCTIONS = {
  Trigger: {
    entry: 'lambdas/trigger.ts',
    description: 'Starts a deployment for each configured service matching an ECR push',
    needsConfig: true,
  },
  ExecutionEnded: {
    entry: 'lambdas/execution-ended.ts',
    description: 'Releases the lock and records the history of an aborted or timed-out deployment',
    needsConfig: false,
  },
} as const satisfies Record<string, FunctionSpec>;

export type StateMachineFunctionKey = keyof typeof STATE_MACHINE_FUNCTIONS;
export type EventFunctionKey = keyof typeof EVENT_FUNCTIONS;
export type FunctionKey = StateMachineFunctionKey | EventFunctionKey;

export const ALL_FUNCTIONS: Record<FunctionKey, FunctionSpec> = { ...STATE_MACHINE_FUNCTIONS, ...EVENT_FUNCTIONS };

/** `${ValidateInputFunctionArn}` -> `ValidateInput`. */
export function placeholderFor(key: StateMachineFunctionKey): string {
  return `${key}FunctionArn`;
}

/** Environment variables the functions read; CDK sets them, the rehearsal fakes them. */
export const ENV = {
  table: 'DEPLOYER_TABLE',
  eventBus: 'DEPLOYER_EVENT_BUS',
  stateMachineArn: 'DEPLOYER_STATE_MACHINE_ARN',
  eventSource: 'DEPLOYER_EVENT_SOURCE',
} as const;

/** `source` of the lifecycle events the deployer puts on EventBridge. */
export const EVENT_SOURCE = 'ecs-deployer';

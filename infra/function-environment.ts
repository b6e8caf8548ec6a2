/**
 * The environment variables (names from `ENV` in lambdas/registry.ts) each
 * function reads. Only what the handler reads, so a function's environment
 * also documents what it touches.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ENV, EVENT_SOURCE, type FunctionKey } from '../lambdas/registry.ts';

/** Resources whose names the functions are given. */
export interface FunctionEnvironmentContext {
  readonly table: dynamodb.ITable;
}

/**
 * Environment per function. The Trigger's `DEPLOYER_STATE_MACHINE_ARN` is
 * added by the stack once the state machine exists (it runs the other
 * functions, so it is built after them).
 */
export function functionEnvironment(ctx: FunctionEnvironmentContext): Record<FunctionKey, Record<string, string>> {
  const table = { [ENV.table]: ctx.table.tableName };
  return {
    ValidateInput: {},
    AcquireLock: table,
    ReleaseLock: table,
    DescribeService: {},
    RegisterTaskDefinition: {},
    UpdateService: {},
    CheckRollout: {},
    Verify: {},
    // Lifecycle events go to the default bus, where the notification rule listens.
    RecordEvent: { ...table, [ENV.eventBus]: 'default', [ENV.eventSource]: EVENT_SOURCE },
    Trigger: {},
    ExecutionEnded: table,
  };
}

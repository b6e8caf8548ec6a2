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
  /** CloudWatch namespace of the deployment metrics. */
  readonly metricsNamespace: string;
  /** Log group of the VM commands' output (SSM CloudWatchOutputConfig). */
  readonly vmCommandLogGroup: string;
}

/**
 * Environment per function. The Trigger's `DEPLOYER_STATE_MACHINES` is
 * added by the stack once the state machines exist (they run the other
 * functions, so they are built after them).
 */
export function functionEnvironment(ctx: FunctionEnvironmentContext): Record<FunctionKey, Record<string, string>> {
  const table = { [ENV.table]: ctx.table.tableName };
  // Lifecycle events go to the default bus, where the notification rule listens.
  const events = { [ENV.eventBus]: 'default', [ENV.eventSource]: EVENT_SOURCE };
  // Whoever announces an outcome also counts it (deployment metrics, as log lines).
  const metrics = { [ENV.metricsNamespace]: ctx.metricsNamespace };
  return {
    ValidateInput: {},
    AcquireLock: table,
    AwaitLock: table,
    ReleaseLock: table,
    RecordEvent: { ...table, ...events, ...metrics },
    RequestApproval: { ...table, ...events },
    LoadRestore: table,
    SnapshotServices: {},
    RegisterTaskDefinition: {},
    UpdateService: {},
    CheckService: {},
    PrepareCanaryService: {},
    RestoreService: {},
    DeleteService: {},
    ReadWeights: {},
    SetWeights: {},
    CheckDrained: {},
    CaptureBaseline: {},
    Verify: table,
    Trigger: {},
    ExecutionEnded: { ...table, ...events, ...metrics },
    AuditLocks: { ...table, ...metrics },
    ResolveHosts: table,
    ResolveSshHosts: table,
    StartSsmBatch: { ...table, [ENV.vmCommandLogGroup]: ctx.vmCommandLogGroup },
    PollSsmBatch: table,
    StartSshBatch: table,
    PollSshBatch: table,
    SetBatchTargets: table,
    ArtifactTrigger: {},
  };
}

/**
 * Every Lambda of the deployer, in one list used by CDK (to build the
 * functions and the state machines' definition substitutions) and by the
 * local rehearsal (to call the same handlers in-process).
 *
 * The functions are grouped by what they touch: `envelope` (input, lock,
 * history, events, approvals, the watcher), `ecs`, `elb` (listener weights,
 * target groups), `verify` (alarms, metrics, HTTP checks) and `vm` (hosts:
 * the ledger, SSM Run Command, SSH, target group registration). A Task state's
 * `Resource` in the ASL is `${<Key>FunctionArn}`.
 */
export interface FunctionSpec {
  /** Source file, relative to the repository root. */
  entry: string;
  /** What the function does (the Lambda's description). */
  description: string;
  /** Whether the validated config is compiled into the bundle. */
  needsConfig: boolean;
  /** The function's timeout (the Task state waits 30 s longer); default {@link DEFAULT_FUNCTION_TIMEOUT_SECONDS}. */
  timeoutSeconds?: number;
  /** Carries `vm/release.sh` beside its bundle (it sends the script to hosts). */
  releaseScript?: boolean;
  /** Reaches hosts over SSH: runs in the subnets and security groups of the config's `ssh` block, when a VM service has SSH hosts. */
  sshNetwork?: boolean;
}

/** A function's timeout unless its spec says otherwise: a handful of AWS calls. */
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 30;

/** The timeout of a function of the registry. */
export function functionTimeoutSeconds(spec: FunctionSpec): number {
  return spec.timeoutSeconds ?? DEFAULT_FUNCTION_TIMEOUT_SECONDS;
}

/** The `vm` group: what the VM state machines run on hosts and their target groups. */
export const VM_STATE_MACHINE_FUNCTIONS = {
  ResolveHosts: {
    entry: 'lambdas/vm/resolve-hosts.ts',
    description: 'Finds the SSM instances of a VM deployment (EC2 tags or instance IDs), checks them Online, plans the batches',
    needsConfig: false,
    timeoutSeconds: 120,
  },
  ResolveSshHosts: {
    entry: 'lambdas/vm/resolve-ssh-hosts.ts',
    description: 'Connects once to each SSH host of a VM deployment with its pinned host key and plans the batches',
    needsConfig: false,
    timeoutSeconds: 300,
    sshNetwork: true,
  },
  StartSsmBatch: {
    entry: 'lambdas/vm/start-ssm-batch.ts',
    description: 'Sends the release script to a batch of SSM instances (or rolls the changed ones back) with Run Command',
    needsConfig: false,
    timeoutSeconds: 120,
  },
  PollSsmBatch: {
    entry: 'lambdas/vm/poll-ssm-batch.ts',
    description: "Follows a batch's SSM commands and records each host's result in the ledger",
    needsConfig: false,
    timeoutSeconds: 120,
  },
  StartSshBatch: {
    entry: 'lambdas/vm/start-ssh-batch.ts',
    description: 'Starts the release script detached on a batch of SSH hosts (or rolls the changed ones back)',
    needsConfig: false,
    timeoutSeconds: 600,
    releaseScript: true,
    sshNetwork: true,
  },
  PollSshBatch: {
    entry: 'lambdas/vm/poll-ssh-batch.ts',
    description: "Follows a batch's detached SSH runs and records each host's result in the ledger",
    needsConfig: false,
    timeoutSeconds: 600,
    sshNetwork: true,
  },
  SetBatchTargets: {
    entry: 'lambdas/vm/set-batch-targets.ts',
    description: 'Deregisters a batch of hosts from their target group before their stop and registers them after',
    needsConfig: false,
    timeoutSeconds: 60,
  },
} as const satisfies Record<string, FunctionSpec>;

export const STATE_MACHINE_FUNCTIONS = {
  ValidateInput: {
    entry: 'lambdas/envelope/validate-input.ts',
    description: 'Validates a deployment request against the config and pins the image by digest',
    needsConfig: true,
  },
  AcquireLock: {
    entry: 'lambdas/envelope/acquire-lock.ts',
    description: 'Takes or waits for the per-service deployment lock; newest waiting deployment wins',
    needsConfig: false,
  },
  AwaitLock: {
    entry: 'lambdas/envelope/await-lock.ts',
    description: 'Leaves the task token of a deployment waiting for its service lock, to be woken when it is released',
    needsConfig: false,
  },
  ReleaseLock: {
    entry: 'lambdas/envelope/release-lock.ts',
    description: 'Releases the per-service deployment lock held by this execution',
    needsConfig: false,
  },
  RecordEvent: {
    entry: 'lambdas/envelope/record-event.ts',
    description: 'Writes the deployment history and puts the lifecycle event on EventBridge',
    needsConfig: false,
  },
  RequestApproval: {
    entry: 'lambdas/envelope/request-approval.ts',
    description: 'Records the task token of an approval step and announces how to approve or reject it',
    needsConfig: false,
  },
  LoadRestore: {
    entry: 'lambdas/envelope/load-restore.ts',
    description: 'Reads the deployment and snapshot of a stopped execution for the restore run',
    needsConfig: false,
  },
  SnapshotServices: {
    entry: 'lambdas/ecs/snapshot-services.ts',
    description: 'Reads what the ECS services of a deployment run before anything changes',
    needsConfig: false,
  },
  RegisterTaskDefinition: {
    entry: 'lambdas/ecs/register-task-definition.ts',
    description: 'Registers a task definition revision with one container image replaced',
    needsConfig: false,
  },
  UpdateService: {
    entry: 'lambdas/ecs/update-service.ts',
    description: 'Points an ECS service at a task definition and task count',
    needsConfig: false,
  },
  CheckService: {
    entry: 'lambdas/ecs/check-service.ts',
    description: 'Reports the progress of an ECS rollout or scaling; fails on circuit breaker or timeout',
    needsConfig: false,
  },
  PrepareCanaryService: {
    entry: 'lambdas/ecs/prepare-canary-service.ts',
    description: 'Creates the canary ECS service next to the primary (or points an owned one at the new revision)',
    needsConfig: false,
  },
  RestoreService: {
    entry: 'lambdas/ecs/restore-service.ts',
    description: 'Puts an ECS service back on the revision and task count of the snapshot',
    needsConfig: false,
  },
  DeleteService: {
    entry: 'lambdas/ecs/delete-service.ts',
    description: 'Deletes a canary ECS service the deployer created, once it runs no task',
    needsConfig: false,
  },
  ReadWeights: {
    entry: 'lambdas/elb/read-weights.ts',
    description: 'Reads the forward weights of the listeners of a deployment',
    needsConfig: false,
  },
  SetWeights: {
    entry: 'lambdas/elb/set-weights.ts',
    description: 'Sets listener forward weights after checking the receiving targets, and reads them back',
    needsConfig: false,
  },
  CheckDrained: {
    entry: 'lambdas/elb/check-drained.ts',
    description: 'Tells whether a target group has stopped receiving requests',
    needsConfig: false,
  },
  CaptureBaseline: {
    entry: 'lambdas/verify/capture-baseline.ts',
    description: 'Records the alarms already in ALARM and the old side metrics before a deployment',
    needsConfig: false,
  },
  Verify: {
    entry: 'lambdas/verify/verify.ts',
    description: 'One verification: alarms, new-vs-old target group metrics and the HTTP health check',
    needsConfig: false,
    // The health check may wait up to its 30 s timeout on top of the alarm and metric reads:
    // a slow endpoint must be one failed check, never a function timeout.
    timeoutSeconds: 60,
  },
  ...VM_STATE_MACHINE_FUNCTIONS,
} as const satisfies Record<string, FunctionSpec>;

export const EVENT_FUNCTIONS = {
  Trigger: {
    entry: 'lambdas/envelope/trigger.ts',
    description: 'Starts a deployment for each configured service matching an ECR push',
    needsConfig: true,
  },
  ExecutionEnded: {
    entry: 'lambdas/envelope/execution-ended.ts',
    description: 'Restores the snapshot of a stopped, timed-out or broken deployment, releases its lock and records it',
    needsConfig: false,
  },
  ArtifactTrigger: {
    entry: 'lambdas/vm/artifact-trigger.ts',
    description: 'Starts a deployment for each configured VM service matching an S3 artifact upload',
    needsConfig: true,
  },
  AuditLocks: {
    entry: 'lambdas/envelope/audit-locks.ts',
    description: "Measures how long each service lock has been held, against the longest deployment the service's config allows",
    needsConfig: true,
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
  /** JSON `{"rolling": arn, "canary": arn, "blue-green": arn}`: the state machine of each strategy. */
  stateMachines: 'DEPLOYER_STATE_MACHINES',
  eventSource: 'DEPLOYER_EVENT_SOURCE',
  /** CloudWatch namespace of the deployment metrics (read by Powertools Metrics). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** JSON `{"rolling": arn, "canary": arn, "blue-green": arn}`: the VM state machine of each strategy. */
  vmStateMachines: 'DEPLOYER_VM_STATE_MACHINES',
  /** Log group the SSM agent writes VM commands' full output to (CloudWatchOutputConfig). */
  vmCommandLogGroup: 'DEPLOYER_VM_COMMAND_LOG_GROUP',
  /** Path of `vm/release.sh` beside StartSshBatch's bundle: the script it sends to SSH hosts. */
  releaseScript: 'DEPLOYER_RELEASE_SCRIPT',
  /** `s3://bucket/key` of `vm/release.sh` as the stack uploaded it (an asset): SSM hosts download it from there. */
  releaseScriptObject: 'DEPLOYER_RELEASE_SCRIPT_OBJECT',
  /** The sha256 of that object, computed at synth: a host runs the script only if it matches. */
  releaseScriptSha256: 'DEPLOYER_RELEASE_SCRIPT_SHA256',
} as const;

/** `source` of the lifecycle events the deployer puts on EventBridge. */
export const EVENT_SOURCE = 'ecs-deployer';

/**
 * A rehearsal: the real state machines, the real handlers and a simulated
 * AWS account, on a virtual clock. `Rehearsal` is the session (several
 * deployments, pushes, stops, approvals); `rehearseDeployment` runs one
 * deployment the way `deployer simulate` does.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { STRATEGY_FILES, VM_STRATEGY_FILES } from '../infra/asl/compose.ts';
import { ALL_FUNCTIONS, functionTimeoutSeconds, STATE_MACHINE_FUNCTIONS, type FunctionKey } from '../lambdas/registry.ts';
import { useClock } from '../lambdas/shared/clock.ts';
import { STRATEGIES, type DeployerConfig, type Strategy } from '../lambdas/shared/config.ts';
import { historySortKey, servicePartitionKey, type DeploymentRequest } from '../lambdas/shared/deployment.ts';
import { isWatchedEnd } from '../lambdas/shared/execution-status.ts';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';
import { APPROVAL_REJECTED } from '../lambdas/shared/operator-requests.ts';
import { isRestoreInput } from '../lambdas/shared/restore.ts';
import { documentClient } from '../lambdas/shared/table.ts';
import type { RegistryPlace } from './aws/ecr.ts';
import { SimulatedWorld, type Snapshot, type WorldOptions } from './aws/world.ts';
import { loadHandlers, setHandlerEnvironment } from './handlers.ts';
import { publishReleaseScript } from './vm/release-script-object.ts';
import { invokeLambda } from './lambda-invoker.ts';
import {
  LocalStateMachine,
  type ExecutionRecord,
  type RunningExecution,
  type StartOptions,
  type TaskTokenBroker,
  type TaskTokenResult,
} from './local-state-machine.ts';
import { VirtualClock } from './virtual-clock.ts';
import { buildReport, type RehearsalReport } from './report.ts';

/** The fixed start of every rehearsal, so runs are reproducible. */
export const REHEARSAL_EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
/** Stack name the rehearsal's state machines are named after (as `cdk deploy` names them). */
export const REHEARSAL_STACK = 'EcsDeployer';

/** The ASL file of each strategy, in `statemachines/`. */
export function stateMachineFile(strategy: Strategy): string {
  return `${STRATEGY_FILES[strategy]}.asl.json`;
}

/** How approval steps are answered in a rehearsal. */
export interface ApprovalPolicy {
  /** approve (default), reject, or nobody answers (the step times out). */
  answer: 'approve' | 'reject' | 'none';
  /** Virtual seconds after the request that the answer comes (default 120). */
  afterSeconds?: number;
  /** Who answers. */
  by?: string;
}

export interface RehearsalOptions {
  config: DeployerConfig;
  /** Options of the simulated world (timings, table name...). */
  world?: Partial<Omit<WorldOptions, 'config' | 'now'>>;
  /** Keep the handlers' JSON logs (stdout). */
  verbose?: boolean;
  /** Name of the stack the state machines are named after (default `EcsDeployer`); the IAM test uses the template's. */
  stackName?: string;
  /** Execution timeout in virtual seconds, to rehearse TIMED_OUT (default: the ASL's TimeoutSeconds). */
  executionTimeoutSeconds?: number;
  /** How approval steps are answered (default: approved after two minutes). */
  approvals?: ApprovalPolicy;
}

export class Rehearsal {
  public readonly clock: VirtualClock;
  public readonly world: SimulatedWorld;
  /** One local state machine per strategy. */
  public readonly machines: Readonly<Record<Strategy, LocalStateMachine>>;
  /** One local VM state machine per strategy (`vm-<strategy>.asl.json`). */
  public readonly vmMachines: Readonly<Record<Strategy, LocalStateMachine>>;
  public readonly executions: RunningExecution[] = [];
  private readonly restore: (() => void)[] = [];
  private readonly waiting = new Map<string, (result: TaskTokenResult) => void>();
  private approvals: ApprovalPolicy;
  /** Uploads so far: each gets a sequencer of its own, as each S3 write does. */
  private uploads = 0;

  private constructor(
    private readonly options: RehearsalOptions,
    private readonly handlers: Record<FunctionKey, LambdaHandler<unknown>>,
  ) {
    this.clock = new VirtualClock(REHEARSAL_EPOCH);
    this.approvals = options.approvals ?? { answer: 'approve' };
    this.world = new SimulatedWorld({
      tableName: 'deployer',
      ...options.world,
      config: options.config,
      now: () => this.clock.now(),
      sleep: (seconds) => this.clock.sleep(seconds),
      // A script running on a local host is work like a busy execution: virtual time waits for it.
      holdClock: () => {
        this.clock.begin();
        return () => this.clock.end();
      },
    });
    const stateMachineHandlers = Object.fromEntries(
      Object.keys(STATE_MACHINE_FUNCTIONS).map((key) => [key, handlers[key as FunctionKey]]),
    );
    const stack = options.stackName ?? REHEARSAL_STACK;
    const taskTokens: TaskTokenBroker = {
      issue: (executionArn, stateName, functionKey) => this.issueToken(executionArn, stateName, functionKey),
    };
    const machines = {} as Record<Strategy, LocalStateMachine>;
    const vmMachines = {} as Record<Strategy, LocalStateMachine>;
    for (const [file, strategy] of [
      ...STRATEGIES.map((s): [string, Strategy] => [STRATEGY_FILES[s], s]),
      ...STRATEGIES.map((s): [string, Strategy] => [VM_STRATEGY_FILES[s], s]),
    ]) {
      const machine = new LocalStateMachine({
        file: `${file}.asl.json`,
        stateMachineName: `${stack}-${file}`,
        ...(options.executionTimeoutSeconds === undefined ? {} : { executionTimeoutSeconds: options.executionTimeoutSeconds }),
        clock: this.clock,
        world: this.world,
        handlers: stateMachineHandlers,
        taskTokens,
        functionTimeouts: Object.fromEntries(Object.entries(ALL_FUNCTIONS).map(([key, spec]) => [key, functionTimeoutSeconds(spec)])),
      });
      if (file.startsWith('vm-')) vmMachines[strategy] = machine;
      else machines[strategy] = machine;
    }
    this.machines = machines;
    this.vmMachines = vmMachines;
    // What StartExecution, SendTask* and StopExecution do to the local state machines.
    this.world.sfn.onStart = (execution) => {
      const machine = STRATEGIES.flatMap((s) => [machines[s], vmMachines[s]]).find((m) => m.stateMachineArn === execution.stateMachineArn);
      if (machine === undefined) throw new Error(`no local state machine ${execution.stateMachineArn}`);
      this.startOn(machine, JSON.parse(execution.input) as unknown, execution.name);
    };
    this.world.sfn.onTaskResult = (token, result) => {
      const resolve = this.waiting.get(token);
      this.waiting.delete(token);
      resolve?.('output' in result ? { output: result.output } : { error: result.error ?? 'Error', cause: result.cause ?? '' });
    };
    this.world.sfn.onStop = (executionArn, error, cause) => {
      this.executions.find((e) => e.record.executionArn === executionArn)?.abort(error, cause);
    };
  }

  /** Build a session: environment, handlers, simulated AWS installed. Call `close()` at the end. */
  public static async create(options: RehearsalOptions): Promise<Rehearsal> {
    const region = options.world?.region ?? 'us-east-1';
    const account = options.world?.account ?? '123456789012';
    const stack = options.stackName ?? REHEARSAL_STACK;
    setHandlerEnvironment({
      config: options.config,
      region,
      tableName: options.world?.tableName ?? 'deployer',
      eventBusName: options.world?.eventBusName ?? 'default',
      stateMachines: Object.fromEntries(
        STRATEGIES.map((s) => [s, `arn:aws:states:${region}:${account}:stateMachine:${stack}-${STRATEGY_FILES[s]}`]),
      ),
      vmStateMachines: Object.fromEntries(
        STRATEGIES.map((s) => [s, `arn:aws:states:${region}:${account}:stateMachine:${stack}-${VM_STRATEGY_FILES[s]}`]),
      ),
    });
    const handlers = await loadHandlers(options.verbose === true);
    const rehearsal = new Rehearsal(options, handlers);
    // What `cdk deploy` uploads: the release script SSM hosts download.
    publishReleaseScript(rehearsal.world.s3, rehearsal.world);
    rehearsal.restore.push(rehearsal.world.install(), useClock(rehearsal.clock));
    return rehearsal;
  }

  /** The strategy of a configured service. */
  public strategyOf(service: string): Strategy {
    return this.options.config.ecs.find((s) => s.name === service)?.strategy ?? 'rolling';
  }

  /** Start an execution of a service's state machine as the console would (StartExecution with this input). */
  public startExecution(input: unknown, name?: string, options: StartOptions & { strategy?: Strategy } = {}): RunningExecution {
    const service = typeof input === 'object' && input !== null ? (input as { service?: unknown }).service : undefined;
    const vm = typeof service === 'string' ? this.options.config.vm.find((s) => s.name === service) : undefined;
    if (vm !== undefined) return this.startOn(this.vmMachines[options.strategy ?? vm.strategy], input, name, options);
    const strategy = options.strategy ?? (typeof service === 'string' ? this.strategyOf(service) : 'rolling');
    return this.startOn(this.machines[strategy], input, name, options);
  }

  /** Start a deployment from a request. */
  public deploy(request: DeploymentRequest, name?: string, options: StartOptions = {}): RunningExecution {
    return this.startExecution(request, name, options);
  }

  /**
   * An object is uploaded to S3 (a VM service's artifact, say): it is stored
   * in the world's S3, and EventBridge delivers S3's "Object Created" event
   * to the ArtifactTrigger function, as the stack's rule does. The same
   * `eventId` and `sequencer` deliver the same event again.
   */
  public async upload(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    options: { eventId?: string; sequencer?: string } = {},
  ): Promise<unknown> {
    const etag = this.world.s3.putObject(bucket, key, body);
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const event = {
      version: '0',
      id: options.eventId ?? crypto.randomUUID(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: this.world.account,
      time: new Date(this.clock.now()).toISOString(),
      region: this.world.region,
      resources: [`arn:aws:s3:::${bucket}`],
      detail: {
        version: '0',
        bucket: { name: bucket },
        object: { key, size, etag: etag.replaceAll('"', ''), sequencer: options.sequencer ?? this.nextSequencer() },
        'request-id': crypto.randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
        requester: this.world.account,
        reason: 'PutObject',
      },
    };
    return this.invokeEventFunction('ArtifactTrigger', event);
  }

  /** An S3 event sequencer: hexadecimal, growing with each write. */
  private nextSequencer(): string {
    this.uploads += 1;
    return (this.clock.now() * 1000 + this.uploads).toString(16).toUpperCase().padStart(18, '0');
  }

  /** How approvals are answered from now on. */
  public answerApprovals(policy: ApprovalPolicy): void {
    this.approvals = policy;
  }

  /** Stop an execution as the console (or `deployer rollback`) does: StopExecution. */
  public async stop(executionArn: string, error = 'RollbackRequested', cause = 'rollback requested'): Promise<void> {
    await this.world.withCaller({ functionKey: 'operator' }, () =>
      new SFNClient({}).send(new StopExecutionCommand({ executionArn, error, cause })),
    );
  }

  /** An image is pushed to ECR (the world's registry, or `registry`): EventBridge invokes the Trigger function with the push event. */
  public async push(repository: string, tag: string, options: { eventId?: string; registry?: RegistryPlace } = {}): Promise<unknown> {
    const { registry } = options;
    const pushed = this.world.ecr.pushImage(repository, tag, this.world.ecr.digestOf(repository, tag, registry), registry);
    const event = { ...pushed, id: options.eventId ?? crypto.randomUUID() };
    return this.invokeEventFunction('Trigger', event);
  }

  /**
   * Run the lock audit the stack schedules every 10 minutes: how long each
   * service's lock has been held, and which are held longer than allowed.
   */
  public async auditLocks(): Promise<unknown> {
    return this.invokeEventFunction('AuditLocks', { 'detail-type': 'Scheduled Event', source: 'aws.events', id: crypto.randomUUID() });
  }

  /** Wait until every execution started so far (and any they started: restore runs) has ended. */
  public async settle(): Promise<ExecutionRecord[]> {
    let count = -1;
    while (count !== this.executions.length) {
      count = this.executions.length;
      await Promise.all(this.executions.map((e) => e.done));
      // Let the status-change handlers of the last executions run (they may start restore runs).
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Promise.all(this.executions.map((e) => e.done));
  }

  /** The restore run the watcher started for `executionArn`, if any. */
  public restoreRunOf(executionArn: string): RunningExecution | undefined {
    return this.executions.find((e) => {
      const input = e.record.input as { restore?: { executionArn?: unknown } };
      return isRestoreInput(input) && input.restore?.executionArn === executionArn;
    });
  }

  /** The status the deployment history recorded for an execution (undefined when it has no record). */
  public async recordedStatus(record: ExecutionRecord): Promise<string | undefined> {
    const service = (record.input as { service?: unknown }).service;
    if (typeof service !== 'string') return undefined;
    const result = await documentClient().send(
      new GetCommand({
        TableName: this.options.world?.tableName ?? 'deployer',
        Key: { pk: servicePartitionKey(service), sk: historySortKey(new Date(record.startedAt).toISOString(), record.name) },
      }),
    );
    const status = result.Item?.status;
    return typeof status === 'string' ? status : undefined;
  }

  public snapshot(): Snapshot {
    return this.world.snapshot();
  }

  /** Uninstall the simulation and the virtual clock. */
  public close(): void {
    for (const undo of this.restore.reverse()) undo();
    this.restore.length = 0;
  }

  private startOn(machine: LocalStateMachine, input: unknown, name?: string, options: StartOptions = {}): RunningExecution {
    const running = machine.start(input, name, options);
    // Known to Step Functions from its start (DescribeExecution answers RUNNING), however it was started.
    this.world.sfn.setStatus(running.record.executionArn, 'RUNNING');
    this.executions.push(running);
    void running.done.then((record) => this.executionEnded(record));
    return running;
  }

  /**
   * A task token; an approval step's is answered later by the rehearsal's
   * operator, as the policy says (the others, like the lock waiter's, by the handlers).
   */
  private issueToken(executionArn: string, stateName: string, functionKey: string): { token: string; result: Promise<TaskTokenResult> } {
    const token = this.world.sfn.issueTaskToken(executionArn, stateName);
    const result = new Promise<TaskTokenResult>((resolve) => this.waiting.set(token, resolve));
    const { answer, afterSeconds = 120, by = 'rehearsal operator' } = this.approvals;
    if (functionKey === 'RequestApproval' && answer !== 'none') {
      this.clock.at(this.clock.now() + afterSeconds * 1000, () => {
        const client = new SFNClient({});
        const send = (): Promise<unknown> =>
          answer === 'approve'
            ? client.send(
                new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: by, approvedAt: new Date(this.clock.now()).toISOString() }) }),
              )
            : client.send(new SendTaskFailureCommand({ taskToken: token, error: APPROVAL_REJECTED, cause: `rejected by ${by}` }));
        // An approval that already timed out is refused, as in AWS: nothing to do.
        void this.world.withCaller({ functionKey: 'operator' }, send).catch(() => undefined);
      });
    }
    return { token, result };
  }

  private async invokeEventFunction(key: FunctionKey, event: unknown): Promise<unknown> {
    return this.world.withCaller({ functionKey: key }, () => invokeLambda(`deployer-${key}`, this.handlers[key], event, this.world));
  }

  /** EventBridge's "Step Functions Execution Status Change" rule, as deployed. */
  private async executionEnded(record: ExecutionRecord): Promise<void> {
    this.world.sfn.setStatus(record.executionArn, record.status);
    // The rule's event pattern: the ends that skipped the execution's own clean-up, and successes.
    if (!isWatchedEnd(record.status)) return;
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.world.account,
      time: new Date(this.clock.now()).toISOString(),
      region: this.world.region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startedAt,
        stopDate: record.stoppedAt ?? this.clock.now(),
        input: JSON.stringify(record.input),
        error: record.error?.error ?? null,
        cause: record.error?.cause ?? null,
      },
    };
    try {
      await this.invokeEventFunction('ExecutionEnded', event);
    } catch {
      // EventBridge would retry; the rehearsal's report shows the history as it is.
    }
  }
}

export interface DeploymentRehearsalOptions extends RehearsalOptions {
  service: string;
  /** The image deployed (and the one `unhealthy` and `bad` apply to). */
  image: string;
  /**
   * The execution input exactly as given (what a person pastes in the
   * console), started on the state machine of `service`'s strategy;
   * default `{service, image, startedBy: 'deployer simulate'}`.
   */
  input?: unknown;
  /**
   * When given, the simulated ECR is as strict as ECR: it holds the images
   * the seeded services run and these, pushed before the deployment starts;
   * any other tag or digest is not found. Default: any tag resolves.
   */
  pushedImages?: readonly string[];
  /** The named Task state's AWS calls fail (non-retryable). */
  failAt?: string;
  /** The execution is stopped (StopExecution) when it enters this state. */
  stopAt?: string;
  /** Tasks of the new image never become healthy. */
  unhealthy?: boolean;
  /** The new image starts and passes health checks, but serves 5xx and slow responses once it gets traffic. */
  bad?: boolean;
  /** These alarms go to ALARM once the new revision serves. */
  alarms?: string[];
}

export interface DeploymentRehearsal {
  report: RehearsalReport;
  record: ExecutionRecord;
  /** The watcher's restore run, when the deployment was stopped, timed out or broke outside a Catch. */
  restore?: ExecutionRecord;
  /** Every AWS call the handlers made, for IAM checks. */
  calls: Rehearsal['world']['calls'];
}

/**
 * Arranges a rehearsal before the deployment starts (faults, alarm states...);
 * may return a function that inspects it after the deployment, before the
 * simulation is uninstalled.
 */
export type RehearsalArrangement = (rehearsal: Rehearsal) => Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;

/** Run one deployment from start to end, as `deployer simulate` does. */
export async function rehearseDeployment(options: DeploymentRehearsalOptions, arrange?: RehearsalArrangement): Promise<DeploymentRehearsal> {
  const rehearsal = await Rehearsal.create(options);
  try {
    if (options.pushedImages !== undefined) {
      for (const image of options.pushedImages) rehearsal.world.ecr.pushUri(image);
      rehearsal.world.ecr.requirePushedImages();
    }
    const inspect = await arrange?.(rehearsal);
    if (options.failAt !== undefined) rehearsal.world.failCalls({ stateName: options.failAt });
    // An image ECR does not hold is rejected by ValidateInput: it has no tasks to mark.
    const deployable = rehearsal.world.ecr.resolveImage(options.image).kind !== 'missing';
    if (options.unhealthy === true && deployable) rehearsal.world.markImageUnhealthy(options.image);
    if (options.bad === true && deployable) rehearsal.world.markImageBad(options.image);
    for (const alarm of options.alarms ?? []) rehearsal.world.tripAlarmWhenNewRevisionServes(alarm);
    const initial = rehearsal.snapshot();
    const input = options.input ?? { service: options.service, image: options.image, startedBy: 'deployer simulate' };
    const running = rehearsal.startExecution(input, undefined, {
      strategy: rehearsal.strategyOf(options.service),
      ...(options.stopAt === undefined ? {} : { stopAt: options.stopAt }),
    });
    await rehearsal.settle();
    const record = await running.done;
    const restoreRun = rehearsal.restoreRunOf(record.executionArn);
    if (inspect !== undefined) await inspect();
    const report = buildReport({
      record,
      service: options.service,
      strategy: rehearsal.strategyOf(options.service),
      initial,
      final: rehearsal.snapshot(),
      recorded: await rehearsal.recordedStatus(record),
      notifications: rehearsal.world.sns.messages().map((m) => m.message),
      ...(restoreRun === undefined ? {} : { restore: restoreRun.record }),
    });
    return { report, record, calls: rehearsal.world.calls, ...(restoreRun === undefined ? {} : { restore: restoreRun.record }) };
  } finally {
    rehearsal.close();
  }
}

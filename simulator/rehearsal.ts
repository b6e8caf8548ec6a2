/**
 * A rehearsal: the real state machine, the real handlers and a simulated
 * AWS account, on a virtual clock. `Rehearsal` is the session (several
 * deployments, pushes, aborts); `rehearseDeployment` runs one deployment the
 * way `deployer simulate` does.
 */
import { STATE_MACHINE_FUNCTIONS, type FunctionKey } from '../lambdas/registry.ts';
import { useClock } from '../lambdas/shared/clock.ts';
import { isUncleanEnd } from '../lambdas/shared/execution-status.ts';
import type { DeployerConfig } from '../lambdas/shared/config.ts';
import type { DeploymentRequest } from '../lambdas/shared/deployment.ts';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';
import { SimulatedWorld, type Snapshot, type WorldOptions } from './aws/world.ts';
import { loadHandlers, setHandlerEnvironment } from './handlers.ts';
import { invokeLambda } from './lambda-invoker.ts';
import { LocalStateMachine, type ExecutionRecord, type RunningExecution } from './local-state-machine.ts';
import { VirtualClock } from './virtual-clock.ts';
import { buildReport, type RehearsalReport } from './report.ts';

/** The fixed start of every rehearsal, so runs are reproducible. */
export const REHEARSAL_EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
export const STATE_MACHINE_FILE = 'ecs-rolling.asl.json';
export const STATE_MACHINE_NAME = 'EcsDeployerRolling';

export interface RehearsalOptions {
  config: DeployerConfig;
  /** Options of the simulated world (timings, table name...). */
  world?: Partial<Omit<WorldOptions, 'config' | 'now'>>;
  /** Keep the handlers' JSON logs (stdout). */
  verbose?: boolean;
  /** Name of the state machine (default `EcsDeployerRolling`); the IAM test uses the template's. */
  stateMachineName?: string;
  /** Execution timeout in virtual seconds, to rehearse TIMED_OUT (default: the ASL's TimeoutSeconds). */
  executionTimeoutSeconds?: number;
}

export class Rehearsal {
  public readonly clock: VirtualClock;
  public readonly world: SimulatedWorld;
  public readonly machine: LocalStateMachine;
  public readonly executions: RunningExecution[] = [];
  private readonly restore: (() => void)[] = [];

  private constructor(
    options: RehearsalOptions,
    private readonly handlers: Record<FunctionKey, LambdaHandler<unknown>>,
  ) {
    this.clock = new VirtualClock(REHEARSAL_EPOCH);
    this.world = new SimulatedWorld({ tableName: 'deployer', ...options.world, config: options.config, now: () => this.clock.now() });
    const stateMachineHandlers = Object.fromEntries(
      Object.keys(STATE_MACHINE_FUNCTIONS).map((key) => [key, handlers[key as FunctionKey]]),
    );
    this.machine = new LocalStateMachine({
      file: STATE_MACHINE_FILE,
      stateMachineName: options.stateMachineName ?? STATE_MACHINE_NAME,
      ...(options.executionTimeoutSeconds === undefined ? {} : { executionTimeoutSeconds: options.executionTimeoutSeconds }),
      clock: this.clock,
      world: this.world,
      handlers: stateMachineHandlers,
    });
    // The trigger's StartExecution really starts the local state machine.
    this.world.sfn.onStart = (execution) => {
      this.startExecution(JSON.parse(execution.input) as unknown, execution.name);
    };
  }

  /** Build a session: environment, handlers, simulated AWS installed. Call `close()` at the end. */
  public static async create(options: RehearsalOptions): Promise<Rehearsal> {
    const region = options.world?.region ?? 'us-east-1';
    const account = options.world?.account ?? '123456789012';
    setHandlerEnvironment({
      config: options.config,
      region,
      tableName: options.world?.tableName ?? 'deployer',
      eventBusName: options.world?.eventBusName ?? 'default',
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${options.stateMachineName ?? STATE_MACHINE_NAME}`,
    });
    const handlers = await loadHandlers(options.verbose === true);
    const rehearsal = new Rehearsal(options, handlers);
    rehearsal.restore.push(rehearsal.world.install(), useClock(rehearsal.clock));
    return rehearsal;
  }

  /** Start an execution as the console would (StartExecution with this input). */
  public startExecution(input: unknown, name?: string): RunningExecution {
    const running = this.machine.start(input, name);
    // Known to Step Functions from its start (DescribeExecution answers RUNNING), however it was started.
    this.world.sfn.setStatus(running.record.executionArn, 'RUNNING');
    this.executions.push(running);
    void running.done.then((record) => this.executionEnded(record));
    return running;
  }

  /** Start a deployment from a request. */
  public deploy(request: DeploymentRequest, name?: string): RunningExecution {
    return this.startExecution(request, name);
  }

  /** An image is pushed to ECR: EventBridge invokes the Trigger function with the push event. */
  public async push(repository: string, tag: string, options: { eventId?: string } = {}): Promise<unknown> {
    const pushed = this.world.ecr.pushImage(repository, tag, this.world.ecr.digestOf(repository, tag));
    const event = { ...pushed, id: options.eventId ?? crypto.randomUUID() };
    return this.invokeEventFunction('Trigger', event);
  }

  /** Wait until every execution started so far (and any they started) has ended. */
  public async settle(): Promise<ExecutionRecord[]> {
    let count = -1;
    while (count !== this.executions.length) {
      count = this.executions.length;
      await Promise.all(this.executions.map((e) => e.done));
    }
    // Let the status-change handlers of the last executions run.
    await new Promise((resolve) => setImmediate(resolve));
    return Promise.all(this.executions.map((e) => e.done));
  }

  public snapshot(): Snapshot {
    return this.world.snapshot();
  }

  /** Uninstall the simulation and the virtual clock. */
  public close(): void {
    for (const undo of this.restore.reverse()) undo();
    this.restore.length = 0;
  }

  private async invokeEventFunction(key: FunctionKey, event: unknown): Promise<unknown> {
    return this.world.withCaller({ functionKey: key }, () => invokeLambda(`deployer-${key}`, this.handlers[key], event, this.world));
  }

  /** EventBridge's "Step Functions Execution Status Change" rule, as deployed. */
  private async executionEnded(record: ExecutionRecord): Promise<void> {
    this.world.sfn.setStatus(record.executionArn, record.status);
    // The rule's event pattern: only ends that skipped the execution's own clean-up.
    if (!isUncleanEnd(record.status)) return;
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
        stateMachineArn: this.machine.stateMachineArn,
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
  image: string;
  /** The named Task state's AWS calls fail (non-retryable). */
  failAt?: string;
  /** Tasks of the new image never become healthy. */
  unhealthy?: boolean;
  /** These alarms go to ALARM once the new revision serves. */
  alarms?: string[];
}

export interface DeploymentRehearsal {
  report: RehearsalReport;
  record: ExecutionRecord;
  /** Every AWS call the handlers made, for IAM checks. */
  calls: Rehearsal['world']['calls'];
}

/** Run one deployment from start to end, as `deployer simulate` does. */
export async function rehearseDeployment(options: DeploymentRehearsalOptions): Promise<DeploymentRehearsal> {
  const rehearsal = await Rehearsal.create(options);
  try {
    const svc = options.config.ecs.find((s) => s.name === options.service);
    if (options.failAt !== undefined) rehearsal.world.failCalls({ stateName: options.failAt });
    if (options.unhealthy === true) rehearsal.world.markImageUnhealthy(options.image);
    for (const alarm of options.alarms ?? []) rehearsal.world.tripAlarmWhenNewRevisionServes(alarm);
    const initial = rehearsal.snapshot();
    const running = rehearsal.deploy({ service: options.service, image: options.image, startedBy: 'deployer simulate' });
    await rehearsal.settle();
    const record = await running.done;
    const report = buildReport(record, options.service, svc?.strategy ?? 'rolling', initial, rehearsal.snapshot());
    return { report, record, calls: rehearsal.world.calls };
  } finally {
    rehearsal.close();
  }
}

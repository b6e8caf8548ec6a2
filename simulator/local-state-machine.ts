/**
 * Runs an ASL file of `statemachines/` locally with aws-local-stepfunctions:
 * each Lambda Task calls the real handler in-process (inside the simulated
 * AWS world), and each Wait state sleeps on the virtual clock.
 *
 * The one change made to the definition: Wait states become Tasks (same
 * name, same Next) that sleep on the virtual clock, because the interpreter
 * only knows real time. Their input passes through unchanged, as a Wait's
 * does. Retry intervals are not slept either; their nominal length is added
 * to the reported duration.
 */
import { StateMachine, ExecutionAbortedError, type RunOptions } from 'aws-local-stepfunctions';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';
import { loadDefinition, type AslDefinition, type AslState } from './asl.ts';
import { invokeLambda } from './lambda-invoker.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The parts of the simulated AWS world the runner needs. */
export interface WorldLike {
  readonly account: string;
  readonly region: string;
  withCaller<T>(caller: { functionKey: string; stateName?: string; executionName?: string }, fn: () => Promise<T>): Promise<T>;
}

export interface StateVisit {
  name: string;
  /** The state's type in the ASL file (a Wait stays a Wait here). */
  type: string;
  /** Virtual time it was entered, epoch ms. */
  enteredAt: number;
  output?: unknown;
  error?: { error: string; cause: string };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: unknown;
  status: ExecutionStatus;
  visits: StateVisit[];
  /** State transitions as Step Functions bills them (one per state entered). */
  transitions: number;
  /** Lambda invocations, retries included. */
  invocations: number;
  retries: number;
  /** Nominal time the Retry backoffs would have waited in AWS. */
  retryDelaySeconds: number;
  startedAt: number;
  stoppedAt?: number;
  output?: unknown;
  error?: { error: string; cause: string };
}

export interface RunningExecution {
  readonly record: ExecutionRecord;
  readonly done: Promise<ExecutionRecord>;
  abort(): void;
}

export interface LocalStateMachineOptions {
  /** File name in `statemachines/`. */
  file: string;
  stateMachineName: string;
  clock: VirtualClock;
  world: WorldLike;
  /** Handler of each `${<Key>FunctionArn}` placeholder. */
  handlers: Record<string, LambdaHandler<unknown>>;
  /** Called after every Lambda invocation (for the timeline). */
  onInvoke?: (execution: ExecutionRecord, stateName: string, functionKey: string) => void;
  /**
   * Execution timeout in virtual seconds; default the ASL's `TimeoutSeconds`.
   * Shorter values rehearse a timed-out execution without days of virtual time.
   */
  executionTimeoutSeconds?: number;
}

type Overrides = NonNullable<RunOptions['overrides']>;
type TaskOverride = NonNullable<Overrides['taskResourceLocalHandlers']>[string];
type JsonValue = Parameters<TaskOverride>[0];

const FUNCTION_PREFIX = 'deployer-';
const LOCAL_WAIT = 'arn:aws:states:::local:wait';

/** Seconds a Wait state waits for a given input. */
function waitSeconds(state: AslState, input: unknown, now: number): number {
  const read = (path: unknown): unknown => {
    if (typeof path !== 'string' || !path.startsWith('$')) return undefined;
    let node: unknown = input;
    for (const part of path.slice(1).split('.').filter((p) => p !== '')) {
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    }
    return node;
  };
  if (typeof state.Seconds === 'number') return state.Seconds;
  const seconds = read(state.SecondsPath);
  if (typeof seconds === 'number') return seconds;
  const timestamp = typeof state.Timestamp === 'string' ? state.Timestamp : read(state.TimestampPath);
  if (typeof timestamp === 'string') return Math.max(0, (Date.parse(timestamp) - now) / 1000);
  throw new Error(`Wait state has no usable Seconds, SecondsPath, Timestamp or TimestampPath`);
}

/**
 * Run `fn` with `new Date()` and `Date.now()` answering `now`.
 *
 * aws-local-stepfunctions sets `$$.Execution.StartTime` from `new Date()`,
 * ignoring the context it is given; it does so synchronously inside `run()`,
 * so pinning `Date` for that call alone gives executions their virtual start
 * time (which orders deployments for the lock and names history records).
 */
function atVirtualTime<T>(now: number, fn: () => T): T {
  const RealDate = globalThis.Date;
  class VirtualDate extends RealDate {
    public constructor(...args: [] | [string | number | Date]) {
      if (args.length === 0) super(now);
      else super(args[0]);
    }
    public static override now(): number {
      return now;
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

export class LocalStateMachine {
  public readonly stateMachineArn: string;
  private readonly definition: AslDefinition;
  private readonly originalStates: Record<string, AslState>;
  private readonly machine: StateMachine;
  private readonly timeoutSeconds: number | undefined;
  private sequence = 0;

  public constructor(private readonly options: LocalStateMachineOptions) {
    const { world, file, handlers } = options;
    this.stateMachineArn = `arn:aws:states:${world.region}:${world.account}:stateMachine:${options.stateMachineName}`;
    const substitutions: Record<string, string> = {};
    for (const key of Object.keys(handlers)) {
      substitutions[`${key}FunctionArn`] = `arn:aws:lambda:${world.region}:${world.account}:function:${FUNCTION_PREFIX}${key}`;
    }
    const loaded = loadDefinition(file, substitutions);
    this.originalStates = loaded.States;
    const states: Record<string, AslState> = {};
    for (const [name, state] of Object.entries(loaded.States)) {
      if (state.Type !== 'Wait') {
        states[name] = state;
        continue;
      }
      const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
      states[name] = { ...rest, Type: 'Task', Resource: LOCAL_WAIT };
    }
    // The interpreter would enforce TimeoutSeconds on real time: it is enforced on the virtual clock instead.
    const { TimeoutSeconds: timeout, ...rest } = loaded;
    this.timeoutSeconds = options.executionTimeoutSeconds ?? (typeof timeout === 'number' ? timeout : undefined);
    this.definition = { ...rest, States: states };
    this.machine = new StateMachine(this.definition as never, { validationOptions: { checkArn: false } });
  }

  /** Function key a Task state calls, or undefined for local waits. */
  public functionOf(stateName: string): string | undefined {
    const resource = this.definition.States[stateName]?.Resource;
    if (resource === undefined || resource === LOCAL_WAIT) return undefined;
    const name = resource.slice(resource.lastIndexOf(':') + 1);
    return name.startsWith(FUNCTION_PREFIX) ? name.slice(FUNCTION_PREFIX.length) : undefined;
  }

  /** Every Task state of the file with the function it invokes. */
  public taskStates(): { stateName: string; functionKey: string }[] {
    return Object.keys(this.definition.States).flatMap((stateName) => {
      const functionKey = this.functionOf(stateName);
      return functionKey === undefined ? [] : [{ stateName, functionKey }];
    });
  }

  /** Start an execution, as StartExecution would. */
  public start(input: unknown, name?: string): RunningExecution {
    const { clock, world } = this.options;
    this.sequence += 1;
    const executionName = name ?? `local-${String(this.sequence).padStart(4, '0')}`;
    const executionArn = `arn:aws:states:${world.region}:${world.account}:execution:${this.options.stateMachineName}:${executionName}`;
    const record: ExecutionRecord = {
      executionArn,
      name: executionName,
      input,
      status: 'RUNNING',
      visits: [],
      transitions: 0,
      invocations: 0,
      retries: 0,
      retryDelaySeconds: 0,
      startedAt: clock.now(),
    };
    const overrides = this.overridesFor(record);
    clock.begin();
    const execution = atVirtualTime(clock.now(), () => this.machine.run(input as never, {
      overrides,
      context: {
        Execution: {
          Id: executionArn,
          Name: executionName,
          StartTime: new Date(clock.now()).toISOString(),
          Input: input,
          RoleArn: `arn:aws:iam::${world.account}:role/deployer-state-machine`,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.options.stateMachineName },
      } as never,
    }));
    const logs = this.collect(record, execution.eventLogs);
    let timedOut = false;
    const cancelTimeout =
      this.timeoutSeconds === undefined
        ? () => undefined
        : clock.at(record.startedAt + this.timeoutSeconds * 1000, () => {
            timedOut = true;
            execution.abort();
          });
    const done = (async (): Promise<ExecutionRecord> => {
      try {
        record.output = await execution.result;
        record.status = 'SUCCEEDED';
      } catch (error) {
        record.status = error instanceof ExecutionAbortedError ? (timedOut ? 'TIMED_OUT' : 'ABORTED') : 'FAILED';
        if (timedOut) record.error = { error: 'States.Timeout', cause: `execution timed out after ${this.timeoutSeconds ?? 0}s` };
      } finally {
        cancelTimeout();
        await logs;
        record.stoppedAt = clock.now();
        clock.forget(executionArn);
        clock.end();
      }
      return record;
    })();
    return { record, done, abort: () => execution.abort() };
  }

  private overridesFor(record: ExecutionRecord): Overrides {
    const { clock, world, handlers, onInvoke } = this.options;
    const taskResourceLocalHandlers: Record<string, TaskOverride> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(this.definition.States)) {
      if (state.Retry !== undefined) retryIntervalOverrides[stateName] = 0;
      if (state.Type !== 'Task') continue;
      if (state.Resource === LOCAL_WAIT) {
        const original = this.originalStates[stateName]!;
        taskResourceLocalHandlers[stateName] = async (input: JsonValue) => {
          await clock.sleep(waitSeconds(original, input, clock.now()), record.executionArn);
          return input;
        };
        continue;
      }
      const functionKey = this.functionOf(stateName);
      const handler = functionKey === undefined ? undefined : handlers[functionKey];
      if (functionKey === undefined || handler === undefined) {
        throw new Error(`Task state ${stateName} calls ${state.Resource ?? '?'}, which has no local handler`);
      }
      taskResourceLocalHandlers[stateName] = async (input: JsonValue) => {
        record.invocations += 1;
        try {
          return (await world.withCaller({ functionKey, stateName, executionName: record.name }, () =>
            invokeLambdaLocally(functionKey, handler, input, world),
          )) as JsonValue;
        } finally {
          onInvoke?.(record, stateName, functionKey);
        }
      };
    }
    return { taskResourceLocalHandlers, retryIntervalOverrides };
  }

  private async collect(record: ExecutionRecord, logs: AsyncGenerator<unknown>): Promise<void> {
    const { clock } = this.options;
    for await (const raw of logs) {
      const event = raw as {
        type: string;
        state?: { name: string; output?: unknown };
        retry?: { retrier: { IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }; attempt: number };
        Error?: string;
        Cause?: unknown;
      };
      const last = record.visits[record.visits.length - 1];
      switch (event.type) {
        case 'StateEntered': {
          const name = event.state?.name ?? '?';
          record.visits.push({ name, type: this.originalStates[name]?.Type ?? '?', enteredAt: clock.now() });
          record.transitions += 1;
          break;
        }
        case 'StateExited':
          if (last !== undefined) last.output = event.state?.output;
          break;
        case 'StateFailed':
          if (last !== undefined) last.error = { error: event.Error ?? 'Error', cause: String(event.Cause ?? '') };
          break;
        case 'StateRetried': {
          record.retries += 1;
          const r = event.retry?.retrier;
          const attempt = event.retry?.attempt ?? 1;
          const nominal = (r?.IntervalSeconds ?? 1) * Math.pow(r?.BackoffRate ?? 2, Math.max(0, attempt - 1));
          record.retryDelaySeconds += Math.min(nominal, r?.MaxDelaySeconds ?? nominal);
          break;
        }
        case 'ExecutionFailed':
          record.error = { error: event.Error ?? 'Error', cause: String(event.Cause ?? '') };
          break;
        default:
          break;
      }
    }
  }
}

function invokeLambdaLocally(
  functionKey: string,
  handler: LambdaHandler<unknown>,
  input: unknown,
  world: WorldLike,
): Promise<unknown> {
  return invokeLambda(`${FUNCTION_PREFIX}${functionKey}`, handler, input, world);
}

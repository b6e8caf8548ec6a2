/**
 * Runs an ASL file of `statemachines/` locally with aws-local-stepfunctions:
 * each Lambda Task calls the real handler in-process (inside the simulated
 * AWS world), and each Wait state sleeps on the virtual clock.
 *
 * What the interpreter cannot do is done by replacing a state with a local
 * Task of the same name and Next, whose override does it on the virtual
 * clock:
 * - a Wait sleeps there (its input passes through, as a Wait's does);
 * - a `lambda:invoke.waitForTaskToken` Task (an approval) invokes its
 *   function with a task token from the broker (the interpreter has no
 *   `$$.Task.Token`), then waits for SendTaskSuccess/SendTaskFailure or its
 *   timeout, which fails it with `States.Timeout` as AWS does.
 * Retry intervals are not slept; their nominal length is added to the
 * reported duration.
 */
import { StateMachine, ExecutionAbortedError, type RunOptions } from 'aws-local-stepfunctions';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';
import { loadDefinition, type AslDefinition, type AslState } from './asl.ts';
import { invokeLambda, LambdaInvocationError } from './lambda-invoker.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The parts of the simulated AWS world the runner needs. */
export interface WorldLike {
  readonly account: string;
  readonly region: string;
  withCaller<T>(caller: { functionKey: string; stateName?: string; executionName?: string }, fn: () => Promise<T>): Promise<T>;
}

/** How a task token was answered. */
export type TaskTokenResult = { output: unknown } | { error: string; cause: string };

/** Issues task tokens and tells when each is answered (the simulated Step Functions API). */
export interface TaskTokenBroker {
  /** A token for `stateName`, whose Task invokes `functionKey`. */
  issue(executionArn: string, stateName: string, functionKey: string): { token: string; result: Promise<TaskTokenResult> };
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
  stateMachineArn: string;
  input: unknown;
  status: ExecutionStatus;
  visits: StateVisit[];
  /** State transitions as Step Functions bills them (one per state entered). */
  transitions: number;
  /** Events of the execution's history, counted per state type as Step Functions writes them. */
  historyEvents: number;
  /** The largest state input or output, in bytes of JSON. */
  maxPayloadBytes: number;
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
  /** StopExecution: the execution ends ABORTED with this error and cause. */
  abort(error?: string, cause?: string): void;
}

export interface StartOptions {
  /** Stop the execution (as StopExecution would) when it enters this state, before the state does anything. */
  stopAt?: string;
}

export interface LocalStateMachineOptions {
  /** File name in `statemachines/`. */
  file: string;
  stateMachineName: string;
  clock: VirtualClock;
  world: WorldLike;
  /** Handler of each `${<Key>FunctionArn}` placeholder. */
  handlers: Record<string, LambdaHandler<unknown>>;
  /** Task tokens for `.waitForTaskToken` states. */
  taskTokens?: TaskTokenBroker;
  /** Each function's timeout in seconds, enforced on the virtual clock as Lambda would (default 30). */
  functionTimeouts?: Record<string, number>;
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
const LOCAL_TASK_TOKEN = 'arn:aws:states:::local:waitForTaskToken';
/** Stands for a Choice or Pass state an execution is to be stopped at. */
const LOCAL_STOP = 'arn:aws:states:::local:stop';
const WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** Stands for `$$.Task.Token` until the override puts a real token in its place. */
const TOKEN_PLACEHOLDER = '__LOCAL_TASK_TOKEN__';
/** Step Functions ends an execution at this many history events, without running any Catch. */
export const MAX_HISTORY_EVENTS = 25_000;
/** The most a state's input or output may weigh (256 KB), else States.DataLimitExceeded, which no Catch sees. */
export const MAX_PAYLOAD_BYTES = 262_144;
/** Real-time limit the interpreter puts on a local Task: long, since timeouts are enforced on the virtual clock. */
const REAL_TIMEOUT_SECONDS = 3600;

/** Read a JSONPath of the simple `$.a.b` form from `input`. */
function read(input: unknown, path: unknown): unknown {
  if (typeof path !== 'string' || !path.startsWith('$')) return undefined;
  let node: unknown = input;
  for (const part of path.slice(1).split('.').filter((p) => p !== '')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

/** Seconds a Wait state waits for a given input. */
function waitSeconds(state: AslState, input: unknown, now: number): number {
  if (typeof state.Seconds === 'number') return state.Seconds;
  const seconds = read(input, state.SecondsPath);
  if (typeof seconds === 'number') return seconds;
  const timestamp = typeof state.Timestamp === 'string' ? state.Timestamp : read(input, state.TimestampPath);
  if (typeof timestamp === 'string') return Math.max(0, (Date.parse(timestamp) - now) / 1000);
  throw new Error(`Wait state has no usable Seconds, SecondsPath, Timestamp or TimestampPath`);
}

/** Replace `"x.$": "$$.Task.Token"` by `"x": TOKEN_PLACEHOLDER`, deep. */
function withTokenPlaceholder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withTokenPlaceholder);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key.endsWith('.$') && inner === '$$.Task.Token' ? [key.slice(0, -2), TOKEN_PLACEHOLDER] : [key, withTokenPlaceholder(inner)],
    ),
  );
}

/** Put `token` where the placeholder is, deep. */
function withToken(value: unknown, token: string): unknown {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => withToken(v, token));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withToken(inner, token)]));
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

/** What the definition becomes for the interpreter, and what was replaced. */
/** The Map each state of a Map's iteration runs in, by state name. */
function mapsOfStates(states: Readonly<Record<string, AslState>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, state] of Object.entries(states)) {
    const inner = (state.ItemProcessor as { States?: Record<string, AslState> } | undefined)?.States;
    if (state.Type !== 'Map' || inner === undefined) continue;
    for (const innerName of Object.keys(allStates(inner))) out[innerName] = name;
  }
  return out;
}

/** Every state of a definition by name, the states of its Maps' iterations included (names are unique in a whole definition). */
export function allStates(states: Readonly<Record<string, AslState>>): Record<string, AslState> {
  const out: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(states)) {
    out[name] = state;
    const inner = (state.ItemProcessor as { States?: Record<string, AslState> } | undefined)?.States;
    if (state.Type === 'Map' && inner !== undefined) Object.assign(out, allStates(inner));
  }
  return out;
}

function localDefinition(loaded: AslDefinition): AslDefinition {
  // The interpreter would enforce TimeoutSeconds on real time: it is enforced on the virtual clock instead.
  const { TimeoutSeconds: _timeout, ...rest } = loaded;
  return { ...rest, States: localStates(loaded.States) };
}

/** The states as the local interpreter runs them: Waits and task tokens on the virtual clock, inside Maps too. */
function localStates(loaded: Readonly<Record<string, AslState>>): Record<string, AslState> {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(loaded)) {
    const processor = state.ItemProcessor as { States?: Record<string, AslState> } | undefined;
    if (state.Type === 'Map' && processor?.States !== undefined) {
      states[name] = { ...state, ItemProcessor: { ...processor, States: localStates(processor.States) } };
    } else if (state.Type === 'Wait') {
      const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
      states[name] = { ...rest, Type: 'Task', Resource: LOCAL_WAIT, TimeoutSeconds: REAL_TIMEOUT_SECONDS };
    } else if (state.Type === 'Task' && state.Resource === WAIT_FOR_TOKEN) {
      const { TimeoutSeconds, TimeoutSecondsPath, Parameters, ...rest } = state;
      // The timeout travels in the parameters, to be enforced on the virtual clock.
      const timeout = TimeoutSecondsPath !== undefined ? { 'timeoutSeconds.$': TimeoutSecondsPath } : { timeoutSeconds: TimeoutSeconds ?? 99_999_999 };
      states[name] = {
        ...rest,
        Resource: LOCAL_TASK_TOKEN,
        TimeoutSeconds: REAL_TIMEOUT_SECONDS,
        Parameters: { call: withTokenPlaceholder(Parameters), ...timeout },
      };
    } else {
      states[name] = state;
    }
  }
  return states;
}

interface Interpreter {
  definition: AslDefinition;
  originalStates: Record<string, AslState>;
  machine: StateMachine;
  timeout: unknown;
}

/**
 * Interpreters by file and substitutions. Building one validates the
 * definition (ajv-compiled JSON schemas, about 300 ms): once per process is
 * enough, since runs do not change it.
 */
const interpreters = new Map<string, Interpreter>();

function interpreterFor(file: string, substitutions: Record<string, string>): Interpreter {
  const key = `${file}\0${JSON.stringify(substitutions)}`;
  let interpreter = interpreters.get(key);
  if (interpreter === undefined) {
    const loaded = loadDefinition(file, substitutions);
    const definition = localDefinition(loaded);
    interpreter = {
      definition,
      originalStates: allStates(loaded.States),
      machine: new StateMachine(definition as never, { validationOptions: { checkArn: false } }),
      timeout: loaded.TimeoutSeconds,
    };
    interpreters.set(key, interpreter);
  }
  return interpreter;
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
    const interpreter = interpreterFor(file, substitutions);
    this.originalStates = interpreter.originalStates;
    this.definition = interpreter.definition;
    const timeout = interpreter.timeout;
    this.timeoutSeconds = options.executionTimeoutSeconds ?? (typeof timeout === 'number' ? timeout : undefined);
    this.machine = interpreter.machine;
  }

  /** Function key a Task state calls, or undefined for local waits. */
  public functionOf(stateName: string): string | undefined {
    const state = allStates(this.definition.States)[stateName];
    if (state === undefined || state.Resource === LOCAL_WAIT) return undefined;
    const call = (state.Parameters as { call?: { FunctionName?: unknown } } | undefined)?.call;
    const arn = state.Resource === LOCAL_TASK_TOKEN ? call?.FunctionName : state.Resource;
    if (typeof arn !== 'string') return undefined;
    const name = arn.slice(arn.lastIndexOf(':') + 1);
    return name.startsWith(FUNCTION_PREFIX) ? name.slice(FUNCTION_PREFIX.length) : undefined;
  }

  /** Every Task state of the file with the function it invokes. */
  public taskStates(): { stateName: string; functionKey: string }[] {
    return Object.keys(allStates(this.definition.States)).flatMap((stateName) => {
      const functionKey = this.functionOf(stateName);
      return functionKey === undefined ? [] : [{ stateName, functionKey }];
    });
  }

  /** Start an execution, as StartExecution would. */
  public start(input: unknown, name?: string, startOptions: StartOptions = {}): RunningExecution {
    const { clock, world } = this.options;
    this.sequence += 1;
    const executionName = name ?? `local-${String(this.sequence).padStart(4, '0')}`;
    const executionArn = `arn:aws:states:${world.region}:${world.account}:execution:${this.options.stateMachineName}:${executionName}`;
    const record: ExecutionRecord = {
      executionArn,
      name: executionName,
      stateMachineArn: this.stateMachineArn,
      input,
      status: 'RUNNING',
      visits: [],
      transitions: 0,
      invocations: 0,
      retries: 0,
      retryDelaySeconds: 0,
      historyEvents: 1, // ExecutionStarted
      maxPayloadBytes: 0,
      startedAt: clock.now(),
    };
    let stop: { error: string; cause: string } | undefined;
    // A stop asked for while run() has not returned yet (at the first state) is carried out as soon as it has.
    let abortExecution: () => void = () => undefined;
    const abort = (error = 'States.Aborted', cause = 'execution stopped'): void => {
      stop ??= { error, cause };
      abortExecution();
    };
    const overrides = this.overridesFor(record, startOptions.stopAt, abort);
    const machine = this.machineStoppingAt(startOptions.stopAt, overrides, abort);
    clock.begin();
    const execution = atVirtualTime(clock.now(), () =>
      machine.run(input as never, {
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
      }),
    );
    abortExecution = () => execution.abort();
    if (stop !== undefined) execution.abort();
    // Step Functions' own limits end an execution without running any Catch.
    let limit: { error: string; cause: string } | undefined;
    const breach = (error: string, cause: string): void => {
      if (limit !== undefined) return;
      limit = { error, cause };
      execution.abort();
    };
    const logs = this.collect(record, execution.eventLogs, breach);
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
        if (limit !== undefined) {
          record.status = 'FAILED';
          record.error = limit;
        } else if (timedOut) record.error = { error: 'States.Timeout', cause: `execution timed out after ${this.timeoutSeconds ?? 0}s` };
        else if (record.status === 'ABORTED') record.error = stop ?? { error: 'States.Aborted', cause: 'execution stopped' };
      } finally {
        cancelTimeout();
        await logs;
        record.stoppedAt = clock.now();
        record.historyEvents += 1; // ExecutionSucceeded, Failed, Aborted or TimedOut
        clock.forget(executionArn);
        clock.end();
      }
      return record;
    })();
    return { record, done, abort };
  }

  /**
   * The interpreter, or (to stop at a Choice or Pass state, which run
   * synchronously, before any event could be seen) a copy in which that
   * state is a local Task that stops the execution.
   */
  private machineStoppingAt(stopAt: string | undefined, overrides: Overrides, abort: (error?: string, cause?: string) => void): StateMachine {
    const state = stopAt === undefined ? undefined : this.definition.States[stopAt];
    if (stopAt === undefined || state === undefined || state.Type === 'Task') return this.machine;
    if (state.Type !== 'Choice' && state.Type !== 'Pass') throw new Error(`cannot stop at ${stopAt}: it is a ${state.Type} state, which ends the execution`);
    const { Comment } = state;
    const states = {
      ...this.definition.States,
      [stopAt]: { Type: 'Task', Resource: LOCAL_STOP, TimeoutSeconds: REAL_TIMEOUT_SECONDS, End: true, ...(Comment === undefined ? {} : { Comment }) },
    };
    (overrides.taskResourceLocalHandlers ??= {})[stopAt] = () => {
      abort('States.Aborted', `stopped at ${stopAt}`);
      return new Promise<JsonValue>(() => undefined);
    };
    // The original was validated; this copy may leave the Choice's branches unreachable, which the validator refuses.
    return new StateMachine({ ...this.definition, States: states } as never, { validationOptions: { noValidate: true } });
  }

  private overridesFor(record: ExecutionRecord, stopAt: string | undefined, abort: (error?: string, cause?: string) => void): Overrides {
    const { clock, world, handlers, onInvoke, taskTokens } = this.options;
    const taskResourceLocalHandlers: Record<string, TaskOverride> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    /**
     * The Maps of this execution one of whose iterations failed. In AWS a failed iteration fails
     * its Map at once and no further iteration starts; the interpreter may start the next one
     * (MaxConcurrency 1) before it aborts them: its states must do nothing (a batch never starts
     * after the one that failed).
     */
    const failedMaps = new Set<string>();
    const mapOf = mapsOfStates(this.definition.States);
    /** A stop at this state, or a state of a Map that failed: nothing of the state runs, and the execution never goes on. */
    const stopHere = (stateName: string): Promise<JsonValue> | undefined => {
      const map = mapOf[stateName];
      if (map !== undefined && failedMaps.has(map)) return new Promise<JsonValue>(() => undefined);
      if (stateName !== stopAt) return undefined;
      abort('States.Aborted', `stopped at ${stateName}`);
      return new Promise<JsonValue>(() => undefined);
    };
    /** An error a Task of a Map's iteration does not retry fails the iteration, and so the Map. */
    const failsIteration = (stateName: string, state: AslState, error: unknown): void => {
      const map = mapOf[stateName];
      if (map === undefined) return;
      const name = error instanceof Error ? error.name : 'Error';
      const retried = (state.Retry ?? []).some((r) => r.ErrorEquals.includes(name) || r.ErrorEquals.includes('States.ALL'));
      if (!retried) failedMaps.add(map);
    };
    for (const [stateName, state] of Object.entries(allStates(this.definition.States))) {
      if (state.Retry !== undefined) retryIntervalOverrides[stateName] = 0;
      if (state.Type !== 'Task') continue;
      if (state.Resource === LOCAL_WAIT) {
        const original = this.originalStates[stateName]!;
        taskResourceLocalHandlers[stateName] = async (input: JsonValue) => {
          const stopped = stopHere(stateName);
          if (stopped !== undefined) return stopped;
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
      const timeoutSeconds = this.options.functionTimeouts?.[functionKey] ?? 30;
      const invoke = async (payload: unknown): Promise<unknown> => {
        record.invocations += 1;
        // Lambda stops a function at its timeout; Step Functions then sees Lambda.Unknown. Only virtual time
        // passes while a handler waits on the simulation (a slow call), so the timer can only fire then.
        let cancel: () => void = () => undefined;
        const timedOut = new Promise<never>((_, reject) => {
          cancel = clock.at(clock.now() + timeoutSeconds * 1000, () =>
            reject(new LambdaInvocationError('Lambda.Unknown', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`)),
          );
        });
        try {
          return await Promise.race([
            world.withCaller({ functionKey, stateName, executionName: record.name }, () =>
              invokeLambda(`${FUNCTION_PREFIX}${functionKey}`, handler, payload, world),
            ),
            timedOut,
          ]);
        } finally {
          cancel();
          onInvoke?.(record, stateName, functionKey);
        }
      };
      if (state.Resource === LOCAL_TASK_TOKEN) {
        taskResourceLocalHandlers[stateName] = async (input: JsonValue) => {
          const stopped = stopHere(stateName);
          if (stopped !== undefined) return stopped;
          if (taskTokens === undefined) throw new Error(`${stateName} waits for a task token, and no broker was given`);
          const { call, timeoutSeconds } = input as { call: { Payload?: unknown }; timeoutSeconds: number };
          const { token, result } = taskTokens.issue(record.executionArn, stateName, functionKey);
          await invoke(withToken(call.Payload ?? {}, token));
          const timeout = clock.sleep(timeoutSeconds, record.executionArn).then((): TaskTokenResult => ({
            error: 'States.Timeout',
            cause: `no answer within ${timeoutSeconds}s`,
          }));
          const answer = await Promise.race([result, timeout]);
          clock.forget(record.executionArn);
          if ('error' in answer) {
            const error = new Error(answer.cause);
            error.name = answer.error;
            throw error;
          }
          // SendTaskSuccess gives the output as JSON text; the state gets it parsed, as in AWS.
          return (typeof answer.output === 'string' ? JSON.parse(answer.output) : answer.output) as JsonValue;
        };
        continue;
      }
      taskResourceLocalHandlers[stateName] = async (input: JsonValue) => {
        const stopped = stopHere(stateName);
        if (stopped !== undefined) return stopped;
        try {
          return (await invoke(input)) as JsonValue;
        } catch (error) {
          failsIteration(stateName, state, error);
          throw error;
        }
      };
    }
    return { taskResourceLocalHandlers, retryIntervalOverrides };
  }

  /** History events a state writes when it runs once (retries add three each). */
  private eventsOf(name: string): number {
    const state = this.originalStates[name];
    if (state === undefined) return 2;
    if (state.Type === 'Task') return state.Resource === WAIT_FOR_TOKEN ? 6 : 5;
    if (state.Type === 'Fail') return 1;
    // MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited (each iteration adds its own two).
    if (state.Type === 'Map') return 4;
    return 2;
  }

  private async collect(
    record: ExecutionRecord,
    logs: AsyncGenerator<unknown>,
    breach: (error: string, cause: string) => void,
  ): Promise<void> {
    const payload = (name: string, what: 'input' | 'output', value: unknown): void => {
      const bytes = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
      record.maxPayloadBytes = Math.max(record.maxPayloadBytes, bytes);
      if (bytes > MAX_PAYLOAD_BYTES) {
        breach('States.DataLimitExceeded', `The state/task '${name}' ${what} has ${bytes} bytes, more than the ${MAX_PAYLOAD_BYTES} a state may have.`);
      }
    };
    const { clock } = this.options;
    for await (const raw of logs) {
      const event = raw as {
        type: string;
        state?: { name: string; input?: unknown; output?: unknown };
        retry?: { retrier: { IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }; attempt: number };
        Error?: string;
        Cause?: unknown;
      };
      // The latest visit of the event's state (a Map exits after the states of its iterations).
      const last = record.visits.findLast((v) => v.name === event.state?.name) ?? record.visits[record.visits.length - 1];
      switch (event.type) {
        case 'StateEntered': {
          const name = event.state?.name ?? '?';
          record.historyEvents += this.eventsOf(name);
          if (record.historyEvents > MAX_HISTORY_EVENTS) {
            breach('States.Runtime', `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`);
          }
          payload(name, 'input', event.state?.input);
          const type = this.originalStates[name]?.Type ?? '?';
          record.visits.push({ name, type, enteredAt: clock.now() });
          record.transitions += 1;
          break;
        }
        case 'StateExited':
          if (last !== undefined) last.output = event.state?.output;
          payload(event.state?.name ?? '?', 'output', event.state?.output);
          break;
        case 'StateFailed':
          if (last !== undefined) last.error = { error: event.Error ?? 'Error', cause: String(event.Cause ?? '') };
          break;
        case 'StateRetried': {
          record.retries += 1;
          record.historyEvents += 3; // scheduled, started, failed once more
          const r = event.retry?.retrier;
          const attempt = event.retry?.attempt ?? 1;
          const nominal = (r?.IntervalSeconds ?? 1) * Math.pow(r?.BackoffRate ?? 2, Math.max(0, attempt - 1));
          record.retryDelaySeconds += Math.min(nominal, r?.MaxDelaySeconds ?? nominal);
          break;
        }
        case 'ExecutionFailed':
          record.error = { error: event.Error ?? 'Error', cause: String(event.Cause ?? '') };
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed':
          record.historyEvents += 1;
          break;
        default:
          break;
      }
    }
  }
}


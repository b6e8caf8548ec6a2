/**
 * Simulated Step Functions for Standard workflows: StartExecution /
 * DescribeExecution with their idempotency (the same name and input while
 * the execution runs returns it again; anything else with a used name is
 * refused), StopExecution, and the task tokens of `.waitForTaskToken`
 * states (SendTaskSuccess / SendTaskFailure, see `sfn-task-tokens.ts`).
 * The rehearsal plugs `onStart`, `onStop` and `onTaskResult` to act on them.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  ValidationException,
  type DescribeExecutionCommandInput,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SendTaskFailureCommandInput,
  type SendTaskFailureCommandOutput,
  type SendTaskSuccessCommandInput,
  type SendTaskSuccessCommandOutput,
  type StartExecutionCommandInput,
  type StartExecutionCommandOutput,
  type StopExecutionCommandInput,
  type StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  refuseUnimplemented,
  serve,
  type ApiEnvironment,
  type SimulatedApi,
  type CallContext,
} from './api-call.ts';
import { executionArn } from './arns.ts';
import { modeledError } from './sdk-errors.ts';
import { TaskTokens, type IssuedTaskToken, type TaskResult } from './sfn-task-tokens.ts';

export type { IssuedTaskToken, TaskResult } from './sfn-task-tokens.ts';

type Output<T> = Omit<T, '$metadata'>;

/** What `onStart` receives: the execution StartExecution created. */
export interface StartedExecution {
  executionArn: string;
  name: string;
  /** The input as given (JSON text). */
  input: string;
  stateMachineArn: string;
}

/** An execution the simulation knows. */
export interface SimExecution extends StartedExecution {
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

/** How an execution ended, for `setStatus`. */
export interface ExecutionEnd {
  output?: unknown;
  error?: string;
  cause?: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** Characters Step Functions refuses in names: white space, brackets, wildcards, punctuation, control characters. */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_INPUT_BYTES = 256 * 1024;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[^:]{1,80}$/;
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

function checkErrorAndCause(error: string | undefined, cause: string | undefined): void {
  if ((error ?? '').length > MAX_ERROR) {
    throw modeledError(
      ValidationException,
      `1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ERROR}`,
      {},
    );
  }
  if ((cause ?? '').length > MAX_CAUSE) {
    throw modeledError(
      ValidationException,
      `1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to ${MAX_CAUSE}`,
      {},
    );
  }
}

/** The simulated Step Functions of the world. */
export class SimSfn implements SimulatedApi {
  /** Called, outside the caller's context, for every execution StartExecution actually creates. */
  public onStart: ((execution: StartedExecution) => void) | undefined;
  /** Called, outside the caller's context, when StopExecution stops a running execution. */
  public onStop: ((executionArn: string, error: string | undefined, cause: string | undefined) => void) | undefined;
  /** Called, outside the caller's context, when SendTaskSuccess / SendTaskFailure answers a token. */
  public onTaskResult: ((token: string, result: TaskResult, task: IssuedTaskToken) => void) | undefined;
  private readonly known = new Map<string, SimExecution>();
  private readonly tokens = new TaskTokens();
  private unnamed = 0;
  /** The execution the StartExecution being served created, until `announce` picks it up. */
  private justStarted: string | undefined;
  /** The execution the StopExecution being served stopped, until `announceStop` picks it up. */
  private justStopped: string | undefined;

  /**
   * @param stateMachineArns The state machines that exist; when undefined, any
   *   state machine ARN of the world's account and region does.
   */
  public constructor(
    private readonly env: ApiEnvironment,
    private readonly stateMachineArns: Set<string> | undefined,
  ) {}

  /** Make a state machine exist (when the world was built with an explicit list). */
  public addStateMachine(arn: string): void {
    this.stateMachineArns?.add(arn);
  }

  /**
   * Set an execution's status (the rehearsal reports how it ended). An
   * execution started elsewhere (the console, the rehearsal itself) is
   * registered on first sight.
   */
  public setStatus(arn: string, status: ExecutionStatus, end: ExecutionEnd = {}): void {
    let execution = this.known.get(arn);
    if (execution === undefined) {
      const parts = arn.split(':');
      execution = {
        executionArn: arn,
        name: parts[7] ?? arn,
        input: '{}',
        stateMachineArn: `${parts.slice(0, 5).join(':')}:stateMachine:${parts[6] ?? ''}`,
        status: 'RUNNING',
        startDate: this.env.now(),
      };
      this.known.set(arn, execution);
    }
    execution.status = status;
    if (status !== 'RUNNING') this.tokens.closeExecution(arn);
    if (status === 'RUNNING') delete execution.stopDate;
    else execution.stopDate = this.env.now();
    if (end.output !== undefined) {
      execution.output = typeof end.output === 'string' ? end.output : JSON.stringify(end.output);
    }
    if (end.error !== undefined) execution.error = end.error;
    if (end.cause !== undefined) execution.cause = end.cause;
  }

  /**
   * A new task token for the `.waitForTaskToken` state `stateName` of the
   * execution, to put in the task's input; SendTaskSuccess / SendTaskFailure
   * answer it once, while the execution runs.
   */
  public issueTaskToken(executionArn: string, stateName: string): string {
    return this.tokens.issue(executionArn, stateName, this.env.now());
  }

  /** Every token issued (of one execution when given), with its answer once answered. */
  public taskTokens(executionArn?: string): IssuedTaskToken[] {
    return this.tokens.list(executionArn);
  }

  /** Every execution, in start order. */
  public executions(): SimExecution[] {
    return [...this.known.values()].map((e) => ({ ...e }));
  }

  /** One execution by ARN. */
  public execution(arn: string): SimExecution | undefined {
    const found = this.known.get(arn);
    return found === undefined ? undefined : { ...found };
  }

  /** Install the SFNClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(SFNClient);
    refuseUnimplemented(stub, this.env, 'states', 'Step Functions');
    stub.on(StartExecutionCommand).callsFake(
      serve(this.env, SFNServiceException, {
        action: 'states:StartExecution',
        authorize: (input: StartExecutionCommandInput) => [
          { action: 'states:StartExecution', resources: [input.stateMachineArn ?? '*'] },
        ],
        run: (input: StartExecutionCommandInput, context: CallContext) => this.start(input, context),
        after: (output) => this.announce(output.executionArn),
      }),
    );
    stub.on(DescribeExecutionCommand).callsFake(
      serve(this.env, SFNServiceException, {
        action: 'states:DescribeExecution',
        authorize: (input: DescribeExecutionCommandInput) => [
          { action: 'states:DescribeExecution', resources: [input.executionArn ?? '*'] },
        ],
        run: (input: DescribeExecutionCommandInput) => this.describe(input),
      }),
    );
    stub.on(SendTaskSuccessCommand).callsFake(
      serve(this.env, SFNServiceException, {
        action: 'states:SendTaskSuccess',
        authorize: () => [{ action: 'states:SendTaskSuccess', resources: ['*'] }],
        run: (input: SendTaskSuccessCommandInput) => this.sendTaskSuccess(input),
        after: (_output, input) => this.announceResult(input.taskToken),
      }),
    );
    stub.on(SendTaskFailureCommand).callsFake(
      serve(this.env, SFNServiceException, {
        action: 'states:SendTaskFailure',
        authorize: () => [{ action: 'states:SendTaskFailure', resources: ['*'] }],
        run: (input: SendTaskFailureCommandInput) => this.sendTaskFailure(input),
        after: (_output, input) => this.announceResult(input.taskToken),
      }),
    );
    stub.on(StopExecutionCommand).callsFake(
      serve(this.env, SFNServiceException, {
        action: 'states:StopExecution',
        authorize: (input: StopExecutionCommandInput) => [
          { action: 'states:StopExecution', resources: [input.executionArn ?? '*'] },
        ],
        run: (input: StopExecutionCommandInput, context: CallContext) => this.stop(input, context),
        after: (_output, input) => this.announceStop(input),
      }),
    );
    return () => stub.restore();
  }

  private stateMachineName(arn: string | undefined): string {
    const match = STATE_MACHINE_ARN.exec(arn ?? '');
    if (match === null) throw modeledError(InvalidArn, `Invalid Arn: 'Resource type not valid in this context: ${arn ?? ''}'`, {});
    const exists =
      this.stateMachineArns === undefined
        ? match[1] === this.env.region && match[2] === this.env.account
        : this.stateMachineArns.has(arn ?? '');
    if (!exists) throw modeledError(StateMachineDoesNotExist, `State Machine Does Not Exist: '${arn ?? ''}'`, {});
    return match[3] ?? '';
  }

  private start(input: StartExecutionCommandInput, context: CallContext): Output<StartExecutionCommandOutput> {
    const machine = this.stateMachineName(input.stateMachineArn);
    const name = input.name ?? this.nextName();
    if (name.length === 0 || name.length > 80 || INVALID_NAME.test(name)) {
      throw modeledError(InvalidName, `Invalid Name: '${name}'`, {});
    }
    const text = input.input ?? '{}';
    try {
      JSON.parse(text);
    } catch {
      throw modeledError(InvalidExecutionInput, 'Invalid State Machine Execution Input: input is not valid JSON', {});
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
      throw modeledError(InvalidExecutionInput, 'Invalid State Machine Execution Input: input exceeds 256 KB', {});
    }
    const arn = executionArn(this.env, machine, name);
    const existing = this.known.get(arn);
    if (existing !== undefined) {
      // Standard workflows: idempotent only while running, and only for the same input.
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: arn, startDate: new Date(existing.startDate) };
      }
      throw modeledError(ExecutionAlreadyExists, `Execution Already Exists: '${arn}'`, {});
    }
    this.known.set(arn, {
      executionArn: arn,
      name,
      input: text,
      stateMachineArn: input.stateMachineArn ?? '',
      status: 'RUNNING',
      startDate: context.at,
    });
    this.justStarted = arn;
    return { executionArn: arn, startDate: new Date(context.at) };
  }

  /** Let the rehearsal run an execution the call created (not one an idempotent call returned again). */
  private announce(arn: string | undefined): void {
    const created = this.justStarted === arn;
    this.justStarted = undefined;
    const execution = this.known.get(arn ?? '');
    if (!created || execution === undefined || this.onStart === undefined) return;
    const { executionArn: started, name, input, stateMachineArn } = execution;
    this.onStart({ executionArn: started, name, input, stateMachineArn });
  }

  private sendTaskSuccess(input: SendTaskSuccessCommandInput): Output<SendTaskSuccessCommandOutput> {
    const output = input.output ?? '';
    try {
      JSON.parse(output);
    } catch {
      throw modeledError(InvalidOutput, "Invalid Output: 'output is not valid JSON'", {});
    }
    if (Buffer.byteLength(output, 'utf8') > MAX_INPUT_BYTES) {
      throw modeledError(InvalidOutput, "Invalid Output: 'output exceeds 256 KB'", {});
    }
    this.tokens.answer(input.taskToken, { output });
    return {};
  }

  private sendTaskFailure(input: SendTaskFailureCommandInput): Output<SendTaskFailureCommandOutput> {
    checkErrorAndCause(input.error, input.cause);
    const result: TaskResult = {};
    if (input.error !== undefined) result.error = input.error;
    if (input.cause !== undefined) result.cause = input.cause;
    this.tokens.answer(input.taskToken, result);
    return {};
  }

  private announceResult(token: string | undefined): void {
    const task = this.tokens.list().find((t) => t.token === token);
    if (task?.result === undefined || this.onTaskResult === undefined) return;
    this.onTaskResult(task.token, { ...task.result }, task);
  }

  private stop(input: StopExecutionCommandInput, context: CallContext): Output<StopExecutionCommandOutput> {
    const arn = input.executionArn ?? '';
    if (!EXECUTION_ARN.test(arn)) throw modeledError(InvalidArn, `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, {});
    checkErrorAndCause(input.error, input.cause);
    const execution = this.known.get(arn);
    if (execution === undefined) throw modeledError(ExecutionDoesNotExist, `Execution Does Not Exist: '${arn}'`, {});
    if (execution.status !== 'RUNNING') {
      // Already over: nothing changes.
      return { stopDate: new Date(execution.stopDate ?? context.at) };
    }
    this.justStopped = arn;
    const end: ExecutionEnd = {};
    if (input.error !== undefined) end.error = input.error;
    if (input.cause !== undefined) end.cause = input.cause;
    this.setStatus(arn, 'ABORTED', end);
    return { stopDate: new Date(context.at) };
  }

  private announceStop(input: StopExecutionCommandInput): void {
    const stopped = this.justStopped === input.executionArn;
    this.justStopped = undefined;
    if (stopped && this.onStop !== undefined) this.onStop(input.executionArn ?? '', input.error, input.cause);
  }

  private describe(input: DescribeExecutionCommandInput): Output<DescribeExecutionCommandOutput> {
    const execution = this.known.get(input.executionArn ?? '');
    if (execution === undefined) {
      throw modeledError(ExecutionDoesNotExist, `Execution Does Not Exist: '${input.executionArn ?? ''}'`, {});
    }
    const output: Output<DescribeExecutionCommandOutput> = {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: new Date(execution.startDate),
      input: execution.input,
      inputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
    if (execution.stopDate !== undefined) output.stopDate = new Date(execution.stopDate);
    if (execution.output !== undefined) {
      output.output = execution.output;
      output.outputDetails = { included: true };
    }
    if (execution.error !== undefined) output.error = execution.error;
    if (execution.cause !== undefined) output.cause = execution.cause;
    return output;
  }

  private nextName(): string {
    this.unnamed += 1;
    return `00000000-0000-4000-8000-${this.unnamed.toString(16).padStart(12, '0')}`;
  }
}

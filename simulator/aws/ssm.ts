/**
 * Simulated AWS Systems Manager, as VM deployments use it: Run Command with
 * the AWS-RunShellScript document (SendCommand, ListCommandInvocations,
 * GetCommandInvocation, ListCommands, CancelCommand) and the managed
 * instances' agents (DescribeInstanceInformation). Instances are the world's
 * fleet ({@link SimFleet}); commands really run on their local hosts (see
 * `ssm-commands.ts` for the timeline on the virtual clock).
 *
 * Errors as SSM gives them: `InvalidInstanceId` (InstanceIds naming an
 * instance SSM does not manage, not running, or whose agent does not answer:
 * tag Targets select such instances, whose invocations then wait for
 * delivery until TimeoutSeconds), `DuplicateInstanceId`, `InvalidDocument`,
 * `InvalidParameters`, `ValidationException` (the API's constraints: 50
 * instance IDs, TimeoutSeconds 30-2592000...), `InvocationDoesNotExist`
 * (GetCommandInvocation of an unknown invocation, or of one that is not
 * visible yet right after SendCommand), `InvalidCommandId`,
 * `InvalidPluginName`, `InvalidFilterKey`, `InvalidNextToken`.
 *
 * Output: ListCommandInvocations' `CommandPlugins[].Output` holds the first
 * 2,500 characters of stdout (then stderr after a `----------ERROR-------`
 * line), GetCommandInvocation's `StandardOutputContent` the first 24,000
 * characters of stdout and `StandardErrorContent` the first 8,000 of
 * stderr (the service model's limits); the whole
 * output is what CloudWatch Logs gets ({@link SimSsm.cloudWatchOutput}).
 */
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  DuplicateInstanceId,
  GetCommandInvocationCommand,
  InvalidCommandId,
  InvalidDocument,
  InvalidFilterKey,
  InvalidInstanceId,
  InvalidNextToken,
  InvalidParameters,
  InvalidPluginName,
  InvocationDoesNotExist,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
  type CancelCommandCommandInput,
  type CancelCommandCommandOutput,
  type Command,
  type CommandPlugin,
  type DescribeInstanceInformationCommandInput,
  type DescribeInstanceInformationCommandOutput,
  type GetCommandInvocationCommandInput,
  type GetCommandInvocationCommandOutput,
  type InstanceInformation,
  type ListCommandInvocationsCommandInput,
  type ListCommandInvocationsCommandOutput,
  type ListCommandsCommandInput,
  type ListCommandsCommandOutput,
  type SendCommandCommandInput,
  type SendCommandCommandOutput,
  type Target,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type CallContext, type SimulatedApi } from './api-call.ts';
import type { Authorization } from './calls.ts';
import type { SimFleet, SimInstance } from './fleet.ts';
import { uuidFrom } from './ids.ts';
import { modeledError, unmodeledError } from './sdk-errors.ts';
import { CommandScheduler, countsAsError, VISIBILITY_MS, type FinalStatus, type SimCommand, type SimInvocation, type SsmRunContext } from './ssm-commands.ts';

type Output<T> = Omit<T, '$metadata'>;

const DOCUMENT = 'AWS-RunShellScript';
const PLUGIN = 'aws:runShellScript';
/** CommandPlugin.Output's limit (the API's length constraint). */
export const PLUGIN_OUTPUT_LIMIT = 2_500;
/** StandardOutputContent's limit (the first characters of stdout). */
export const CONTENT_LIMIT = 24_000;
/** StandardErrorContent's limit (the first characters of stderr). */
export const ERROR_CONTENT_LIMIT = 8_000;
const ERROR_SEPARATOR = '\n----------ERROR-------\n';
const RATE = /^([1-9][0-9]*|[1-9][0-9]?%|100%)$/;
const ERRORS = /^([0-9]+|[0-9][0-9]?%|100%)$/;
const INSTANCE_ID = /^(i-(\w{8}|\w{17})|mi-\w{17})$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;

function validation(message: string): Error {
  return unmodeledError(SSMServiceException, { name: 'ValidationException', message: `1 validation error detected: ${message}` });
}

function invalidParameters(message: string): Error {
  return modeledError(InvalidParameters, message, {});
}

/** A count or percentage of `total`: percentages round down, `min` at least. */
function limitOf(value: string, total: number, min: number): number {
  if (value.endsWith('%')) return Math.max(min, Math.floor((Number(value.slice(0, -1)) * total) / 100));
  return Math.max(min, Number(value));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** ISO-8601 duration of `ms`: `PT12.345S`. */
function elapsed(ms: number): string {
  return `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
}

/** The simulated SSM of the world's account and region. */
export class SimSsm implements SimulatedApi {
  private readonly commands = new Map<string, SimCommand>();
  private readonly scheduler: CommandScheduler;
  private sequence = 0;

  public constructor(
    private readonly env: ApiEnvironment,
    private readonly fleet: SimFleet,
    context: Omit<SsmRunContext, 'now'>,
  ) {
    this.scheduler = new CommandScheduler({ now: env.now, ...context });
    fleet.onOnline((instance, at) => this.scheduler.deliverWaiting(this.commands.values(), instance, at));
  }

  /** Resolves once no command runs for real any more (the scripts of every invocation started so far are over). */
  public settled(): Promise<void> {
    return this.scheduler.settled();
  }

  /** Every command sent so far, oldest first. */
  public sentCommands(): ReadonlyArray<Readonly<SimCommand>> {
    return [...this.commands.values()];
  }

  /** Whether a command runs on the instance now (its service may be down). */
  public busy(instanceId: string): boolean {
    return [...this.commands.values()].some((c) => c.invocations.some((i) => i.instance.instanceId === instanceId && i.running));
  }

  /** The whole output of an invocation, as the agent sends it to CloudWatch Logs; undefined before it ends. */
  public cloudWatchOutput(commandId: string, instanceId: string): { logGroupName: string; stdout: string; stderr: string } | undefined {
    const command = this.commands.get(commandId);
    const invocation = command?.invocations.find((i) => i.instance.instanceId === instanceId);
    if (command === undefined || invocation?.end === undefined || command.cloudWatchOutputConfig.CloudWatchOutputEnabled !== true) return undefined;
    return {
      logGroupName: command.cloudWatchOutputConfig.CloudWatchLogGroupName ?? `/aws/ssm/${DOCUMENT}`,
      stdout: invocation.end.stdout,
      stderr: invocation.end.stderr,
    };
  }

  /** Install the SSMClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(SSMClient);
    refuseUnimplemented(stub, this.env, 'ssm', 'SSM');
    const anywhere = (action: string) => (): Authorization[] => [{ action, resources: ['*'] }];
    stub.on(SendCommandCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:SendCommand',
        authorize: (input: SendCommandCommandInput) => this.authorizeSend(input),
        run: (input: SendCommandCommandInput, context: CallContext) => this.sendCommand(input, context),
        after: (output) => {
          const command = this.commands.get(output.Command?.CommandId ?? '');
          if (command !== undefined) this.scheduler.start(command);
        },
      }),
    );
    stub.on(ListCommandInvocationsCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:ListCommandInvocations',
        authorize: anywhere('ssm:ListCommandInvocations'),
        run: (input: ListCommandInvocationsCommandInput, context: CallContext) => this.listCommandInvocations(input, context.at),
      }),
    );
    stub.on(GetCommandInvocationCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:GetCommandInvocation',
        authorize: anywhere('ssm:GetCommandInvocation'),
        run: (input: GetCommandInvocationCommandInput, context: CallContext) => this.getCommandInvocation(input, context.at),
      }),
    );
    stub.on(ListCommandsCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:ListCommands',
        authorize: anywhere('ssm:ListCommands'),
        run: (input: ListCommandsCommandInput, context: CallContext) => this.listCommands(input, context.at),
      }),
    );
    stub.on(CancelCommandCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:CancelCommand',
        authorize: anywhere('ssm:CancelCommand'),
        run: (input: CancelCommandCommandInput, context: CallContext) => this.cancelCommand(input, context.at),
      }),
    );
    stub.on(DescribeInstanceInformationCommand).callsFake(
      serve(this.env, SSMServiceException, {
        action: 'ssm:DescribeInstanceInformation',
        authorize: anywhere('ssm:DescribeInstanceInformation'),
        run: (input: DescribeInstanceInformationCommandInput, context: CallContext) => this.describeInstanceInformation(input, context.at),
      }),
    );
    return () => stub.restore();
  }

  /** The document and every instance the command targets, as IAM checks SendCommand. */
  private authorizeSend(input: SendCommandCommandInput): Authorization[] {
    const document = `arn:aws:ssm:${this.env.region}::document/${input.DocumentName ?? ''}`;
    const ids = input.InstanceIds !== undefined && input.InstanceIds.length > 0 ? input.InstanceIds : this.resolveTargets(input.Targets ?? []).map((i) => i.instanceId);
    return [{ action: 'ssm:SendCommand', resources: [document, ...ids.map((id) => this.instanceArn(id))] }];
  }

  private instanceArn(instanceId: string): string {
    return instanceId.startsWith('mi-')
      ? `arn:aws:ssm:${this.env.region}:${this.env.account}:managed-instance/${instanceId}`
      : `arn:aws:ec2:${this.env.region}:${this.env.account}:instance/${instanceId}`;
  }

  /** The managed instances that Targets select (tag:KEY, tag-key, InstanceIds). */
  private resolveTargets(targets: readonly Target[]): SimInstance[] {
    return this.fleet.all().filter(
      (instance) =>
        instance.managed &&
        instance.state !== 'terminated' &&
        targets.every((target) => {
          const key = target.Key ?? '';
          const values = target.Values ?? [];
          if (key.startsWith('tag:')) {
            const value = instance.tags[key.slice(4)];
            return value !== undefined && values.includes(value);
          }
          if (key === 'tag-key') return values.some((v) => v in instance.tags);
          if (key === 'InstanceIds') return values.includes(instance.instanceId);
          return false;
        }),
    );
  }

  private validateSend(input: SendCommandCommandInput): void {
    if (input.DocumentName === undefined || input.DocumentName === '') {
      throw validation("Value null at 'documentName' failed to satisfy constraint: Member must not be null");
    }
    if (input.DocumentName !== DOCUMENT && input.DocumentName !== `arn:aws:ssm:${this.env.region}::document/${DOCUMENT}`) {
      throw modeledError(InvalidDocument, `Document with name ${input.DocumentName} does not exist.`, {});
    }
    const ids = input.InstanceIds;
    const targets = input.Targets;
    if ((ids === undefined || ids.length === 0) && (targets === undefined || targets.length === 0)) {
      throw validation("Value null at 'instanceIds' failed to satisfy constraint: either InstanceIds or Targets must be specified");
    }
    if (ids !== undefined && ids.length > 0 && targets !== undefined && targets.length > 0) {
      throw invalidParameters('InstanceIds and Targets cannot be specified together.');
    }
    if (ids !== undefined && ids.length > 50) {
      throw validation(`Value '[${ids.join(', ')}]' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50`);
    }
    if (targets !== undefined) {
      if (targets.length > 5) throw validation("Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 5");
      for (const target of targets) {
        const key = target.Key ?? '';
        if (!(key.startsWith('tag:') || key === 'tag-key' || key === 'InstanceIds')) {
          throw modeledError(InvalidParameters, `Target key ${key} is not supported (the simulation knows tag:KEY, tag-key and InstanceIds).`, {});
        }
        if ((target.Values ?? []).length === 0 || (target.Values ?? []).length > 50) {
          throw validation("Value at 'targets.member.values' failed to satisfy constraint: Member must have length between 1 and 50");
        }
      }
    }
    if (input.TimeoutSeconds !== undefined && (input.TimeoutSeconds < 30 || input.TimeoutSeconds > 2_592_000)) {
      throw validation(`Value '${input.TimeoutSeconds}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000`);
    }
    if (input.MaxConcurrency !== undefined && !RATE.test(input.MaxConcurrency)) {
      throw validation(`Value '${input.MaxConcurrency}' at 'maxConcurrency' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`);
    }
    if (input.MaxErrors !== undefined && !ERRORS.test(input.MaxErrors)) {
      throw validation(`Value '${input.MaxErrors}' at 'maxErrors' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`);
    }
    if (input.Comment !== undefined && input.Comment.length > 100) {
      throw validation(`Value '${input.Comment}' at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100`);
    }
    const group = input.CloudWatchOutputConfig?.CloudWatchLogGroupName;
    if (group !== undefined && !LOG_GROUP.test(group)) {
      throw validation(`Value '${group}' at 'cloudWatchOutputConfig.cloudWatchLogGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
    }
    const parameters = input.Parameters ?? {};
    for (const name of Object.keys(parameters)) {
      if (!['commands', 'workingDirectory', 'executionTimeout'].includes(name)) {
        throw invalidParameters(`Parameter "${name}" is not valid for document ${DOCUMENT}.`);
      }
    }
    const commands = parameters.commands;
    if (commands === undefined || commands.length === 0) {
      throw invalidParameters('Parameters "commands" are required but missing.');
    }
    const timeout = parameters.executionTimeout;
    if (timeout !== undefined) {
      const value = timeout.length === 1 ? Number(timeout[0]) : Number.NaN;
      if (!Number.isInteger(value) || value < 1 || value > 172_800 || !/^[0-9]+$/.test(timeout[0] ?? '')) {
        throw invalidParameters(`Parameter "executionTimeout" "${timeout.join(',')}" is invalid: must be one whole number of seconds from 1 to 172800.`);
      }
    }
  }

  private sendCommand(input: SendCommandCommandInput, context: CallContext): Output<SendCommandCommandOutput> {
    this.validateSend(input);
    let instances: SimInstance[];
    if (input.InstanceIds !== undefined && input.InstanceIds.length > 0) {
      const ids = input.InstanceIds;
      const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
      if (duplicate !== undefined) throw modeledError(DuplicateInstanceId, '', {});
      // SSM refuses instance IDs it cannot reach now: unknown, agent never registered, terminated or
      // stopped, agent not answering (ConnectionLost). An instance that goes offline after SendCommand,
      // or one that tag Targets select, gets an invocation that waits for delivery instead.
      instances = ids.map((id) => {
        const instance = INSTANCE_ID.test(id) ? this.fleet.get(id) : undefined;
        if (instance === undefined || !instance.managed || instance.state !== 'running' || !instance.online) {
          throw modeledError(InvalidInstanceId, 'Instances [[' + id + ']] not in a valid state for account ' + this.env.account, {});
        }
        return instance;
      });
    } else {
      instances = this.resolveTargets(input.Targets ?? []);
    }
    this.sequence += 1;
    const commandId = uuidFrom(`command#${this.sequence}#${context.at}`);
    const parameters: Record<string, string[]> = Object.fromEntries(
      Object.entries(input.Parameters ?? {}).map(([name, values]) => [name, [...values]]),
    );
    const maxConcurrency = input.MaxConcurrency ?? '50';
    const maxErrors = input.MaxErrors ?? '0';
    const command: SimCommand = {
      commandId,
      documentName: DOCUMENT,
      comment: input.Comment ?? '',
      parameters,
      instanceIds: input.InstanceIds === undefined ? [] : [...input.InstanceIds],
      targets: structuredClone(input.Targets ?? []),
      requestedAt: context.at,
      timeoutSeconds: input.TimeoutSeconds ?? 3600,
      executionTimeoutSeconds: Number(parameters.executionTimeout?.[0] ?? '3600'),
      maxConcurrency,
      maxErrors,
      concurrencyLimit: limitOf(maxConcurrency, instances.length, 1),
      errorLimit: limitOf(maxErrors, instances.length, 0),
      cloudWatchOutputConfig: { ...input.CloudWatchOutputConfig },
      serviceRoleArn: input.ServiceRoleArn ?? '',
      text: (parameters.commands ?? []).join('\n'),
      invocations: instances.map((instance) => ({ instance, awaitingDelivery: false, running: false })),
    };
    this.commands.set(commandId, command);
    return { Command: this.describeCommand(command, context.at, true) };
  }

  private describeCommand(command: SimCommand, at: number, justSent = false): Command {
    const ended = command.invocations.filter((i) => i.end !== undefined && i.end.at <= at);
    const deliveryTimedOut = ended.filter((i) => i.end?.final.details === 'DeliveryTimedOut').length;
    const errors = ended.filter((i) => countsAsError(i.end)).length;
    const { status, details } = justSent ? { status: 'Pending' as const, details: 'Pending' } : this.commandStatus(command, at);
    return {
      CommandId: command.commandId,
      DocumentName: command.documentName,
      DocumentVersion: '$DEFAULT',
      Comment: command.comment,
      ExpiresAfter: new Date(command.requestedAt + (command.timeoutSeconds + command.executionTimeoutSeconds) * 1000),
      Parameters: structuredClone(command.parameters),
      InstanceIds: [...command.instanceIds],
      Targets: structuredClone(command.targets),
      RequestedDateTime: new Date(command.requestedAt),
      Status: status,
      StatusDetails: details,
      OutputS3Region: this.env.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
      MaxConcurrency: command.maxConcurrency,
      MaxErrors: command.maxErrors,
      // As in AWS, the counts are 0 in SendCommand's response.
      TargetCount: justSent ? 0 : command.invocations.length,
      CompletedCount: justSent ? 0 : ended.length,
      ErrorCount: justSent ? 0 : errors,
      DeliveryTimedOutCount: justSent ? 0 : deliveryTimedOut,
      ServiceRole: command.serviceRoleArn,
      NotificationConfig: { NotificationArn: '', NotificationEvents: [] },
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false, ...command.cloudWatchOutputConfig },
      TimeoutSeconds: command.timeoutSeconds,
    };
  }

  /** The command's aggregated status at `at`. */
  private commandStatus(command: SimCommand, at: number): { status: NonNullable<Command['Status']>; details: string } {
    const ends = command.invocations.map((i) => (i.end !== undefined && i.end.at <= at ? i.end : undefined));
    if (command.cancelledAt !== undefined && command.cancelledAt <= at) return { status: 'Cancelled', details: 'Cancelled' };
    if (ends.some((e) => e === undefined)) {
      return command.invocations.some((i) => i.sentAt !== undefined && i.sentAt <= at) || command.invocations.length === 0
        ? { status: 'InProgress', details: 'InProgress' }
        : { status: 'Pending', details: 'Pending' };
    }
    const errors = ends.filter((e) => countsAsError(e));
    if (errors.length > command.errorLimit) {
      const timedOut = errors.every((e) => e?.final.details === 'ExecutionTimedOut');
      return timedOut ? { status: 'TimedOut', details: 'ExecutionTimedOut' } : { status: 'Failed', details: 'Failed' };
    }
    // Undeliverable invocations count neither as errors nor against Success.
    if (ends.every((e) => e?.final.status === 'Success' || e?.final.details === 'Undeliverable')) return { status: 'Success', details: 'Success' };
    if (ends.every((e) => e?.final.details === 'DeliveryTimedOut')) return { status: 'TimedOut', details: 'DeliveryTimedOut' };
    return { status: 'Failed', details: 'Incomplete' };
  }

  /** Status of an invocation at `at`. */
  private invocationStatus(invocation: SimInvocation, at: number): { status: FinalStatus['status'] | 'Pending' | 'InProgress'; details: string } {
    const { end } = invocation;
    if (end !== undefined && end.at <= at) return { status: end.final.status, details: end.final.details };
    if (!invocation.awaitingDelivery && invocation.startedAt !== undefined && invocation.startedAt <= at) {
      return { status: 'InProgress', details: 'InProgress' };
    }
    return { status: 'Pending', details: 'Pending' };
  }

  private visible(command: SimCommand, at: number): boolean {
    return at >= command.requestedAt + VISIBILITY_MS;
  }

  private plugin(invocation: SimInvocation, at: number): CommandPlugin {
    const { status, details } = this.invocationStatus(invocation, at);
    const end = invocation.end !== undefined && invocation.end.at <= at ? invocation.end : undefined;
    const started = !invocation.awaitingDelivery && invocation.startedAt !== undefined && invocation.startedAt <= at;
    let output = '';
    if (end !== undefined) {
      output = end.stdout;
      if (end.stderr !== '') output += `${ERROR_SEPARATOR}${end.stderr}`;
      output = output.slice(0, PLUGIN_OUTPUT_LIMIT);
    }
    const plugin: CommandPlugin = {
      Name: PLUGIN,
      Status: status,
      StatusDetails: details,
      ResponseCode: end?.responseCode ?? -1,
      Output: output,
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      OutputS3Region: this.env.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
    };
    if (started) plugin.ResponseStartDateTime = new Date(invocation.startedAt!);
    if (end !== undefined && started) plugin.ResponseFinishDateTime = new Date(end.at);
    return plugin;
  }

  private listCommandInvocations(input: ListCommandInvocationsCommandInput, at: number): Output<ListCommandInvocationsCommandOutput> {
    if (input.Filters !== undefined && input.Filters.length > 0) {
      throw unmodeledError(SSMServiceException, { name: 'SimulationNotImplemented', message: 'the simulated SSM does not filter ListCommandInvocations' });
    }
    const maxResults = input.MaxResults ?? 50;
    if (maxResults < 1 || maxResults > 50) throw validation(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50`);
    const commands = input.CommandId !== undefined ? [this.commands.get(input.CommandId)].filter((c) => c !== undefined) : [...this.commands.values()].reverse();
    const rows = commands
      .filter((c) => this.visible(c, at))
      .flatMap((command) => command.invocations.filter((i) => input.InstanceId === undefined || i.instance.instanceId === input.InstanceId).map((invocation) => ({ command, invocation })));
    const start = this.offsetOf(input.NextToken);
    const page = rows.slice(start, start + maxResults);
    const output: Output<ListCommandInvocationsCommandOutput> = {
      CommandInvocations: page.map(({ command, invocation }) => {
        const { status, details } = this.invocationStatus(invocation, at);
        return {
          CommandId: command.commandId,
          InstanceId: invocation.instance.instanceId,
          InstanceName: invocation.instance.host?.name ?? '',
          Comment: command.comment,
          DocumentName: command.documentName,
          DocumentVersion: '$DEFAULT',
          RequestedDateTime: new Date(command.requestedAt),
          Status: status,
          StatusDetails: details,
          TraceOutput: '',
          StandardOutputUrl: '',
          StandardErrorUrl: '',
          CommandPlugins: input.Details === true ? [this.plugin(invocation, at)] : [],
          ServiceRole: command.serviceRoleArn,
          NotificationConfig: { NotificationArn: '', NotificationEvents: [] },
          CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false, ...command.cloudWatchOutputConfig },
        };
      }),
    };
    if (start + maxResults < rows.length) output.NextToken = this.tokenOf(start + maxResults);
    return output;
  }

  private getCommandInvocation(input: GetCommandInvocationCommandInput, at: number): Output<GetCommandInvocationCommandOutput> {
    if (input.CommandId === undefined || input.CommandId.length !== 36) {
      throw validation(`Value '${input.CommandId ?? 'null'}' at 'commandId' failed to satisfy constraint: Member must have length equal to 36`);
    }
    if (input.InstanceId === undefined || !INSTANCE_ID.test(input.InstanceId)) {
      throw validation(`Value '${input.InstanceId ?? 'null'}' at 'instanceId' failed to satisfy constraint: Member must satisfy regular expression pattern: (^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)`);
    }
    const command = this.commands.get(input.CommandId);
    const invocation = command?.invocations.find((i) => i.instance.instanceId === input.InstanceId);
    // Right after SendCommand the invocation is not visible yet: SSM answers as for one that does not exist.
    if (command === undefined || invocation === undefined || !this.visible(command, at)) {
      throw modeledError(InvocationDoesNotExist, '', {});
    }
    if (input.PluginName !== undefined && input.PluginName !== PLUGIN) throw modeledError(InvalidPluginName, '', {});
    const { status, details } = this.invocationStatus(invocation, at);
    const end = invocation.end !== undefined && invocation.end.at <= at ? invocation.end : undefined;
    const started = !invocation.awaitingDelivery && invocation.startedAt !== undefined && invocation.startedAt <= at;
    return {
      CommandId: command.commandId,
      InstanceId: invocation.instance.instanceId,
      Comment: command.comment,
      DocumentName: command.documentName,
      DocumentVersion: '$DEFAULT',
      PluginName: PLUGIN,
      ResponseCode: end?.responseCode ?? -1,
      ExecutionStartDateTime: started ? iso(invocation.startedAt!) : '',
      ExecutionElapsedTime: started ? elapsed((end?.at ?? at) - invocation.startedAt!) : '',
      ExecutionEndDateTime: end !== undefined && started ? iso(end.at) : '',
      Status: status,
      StatusDetails: details,
      StandardOutputContent: end?.stdout.slice(0, CONTENT_LIMIT) ?? '',
      StandardOutputUrl: '',
      StandardErrorContent: end?.stderr.slice(0, ERROR_CONTENT_LIMIT) ?? '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false, ...command.cloudWatchOutputConfig },
    };
  }

  private listCommands(input: ListCommandsCommandInput, at: number): Output<ListCommandsCommandOutput> {
    if (input.Filters !== undefined && input.Filters.length > 0) {
      throw unmodeledError(SSMServiceException, { name: 'SimulationNotImplemented', message: 'the simulated SSM does not filter ListCommands' });
    }
    const maxResults = input.MaxResults ?? 50;
    if (maxResults < 1 || maxResults > 50) throw validation(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50`);
    let commands: SimCommand[];
    if (input.CommandId !== undefined) {
      const command = this.commands.get(input.CommandId);
      if (command === undefined) throw modeledError(InvalidCommandId, '', {});
      commands = [command];
    } else {
      commands = [...this.commands.values()].reverse();
    }
    if (input.InstanceId !== undefined) commands = commands.filter((c) => c.invocations.some((i) => i.instance.instanceId === input.InstanceId));
    const start = this.offsetOf(input.NextToken);
    const output: Output<ListCommandsCommandOutput> = {
      Commands: commands.slice(start, start + maxResults).map((c) => this.describeCommand(c, at)),
    };
    if (start + maxResults < commands.length) output.NextToken = this.tokenOf(start + maxResults);
    return output;
  }

  private cancelCommand(input: CancelCommandCommandInput, at: number): Output<CancelCommandCommandOutput> {
    const command = this.commands.get(input.CommandId ?? '');
    if (command === undefined) throw modeledError(InvalidCommandId, '', {});
    const ids = input.InstanceIds;
    if (ids !== undefined && ids.length > 0) {
      throw unmodeledError(SSMServiceException, { name: 'SimulationNotImplemented', message: 'the simulated SSM cancels whole commands only' });
    }
    this.scheduler.cancel(command, at);
    return {};
  }

  private describeInstanceInformation(input: DescribeInstanceInformationCommandInput, at: number): Output<DescribeInstanceInformationCommandOutput> {
    if (input.InstanceInformationFilterList !== undefined && input.InstanceInformationFilterList.length > 0) {
      throw unmodeledError(SSMServiceException, { name: 'SimulationNotImplemented', message: 'the simulated SSM takes Filters, not InstanceInformationFilterList' });
    }
    const maxResults = input.MaxResults ?? 10;
    if (maxResults < 5 || maxResults > 50) throw validation(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50`);
    const filters = input.Filters ?? [];
    for (const filter of filters) {
      const key = filter.Key ?? '';
      if (!(key.startsWith('tag:') || ['InstanceIds', 'PingStatus', 'ResourceType', 'tag-key', 'PlatformTypes'].includes(key))) {
        throw modeledError(InvalidFilterKey, '', {});
      }
      if ((filter.Values ?? []).length === 0) throw validation(`Value at 'filters.member.values' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    const rows = this.fleet
      .all()
      .filter((i) => i.managed)
      .map((instance) => ({ instance, info: this.information(instance, at) }))
      .filter(({ instance, info }) =>
        filters.every((filter) => {
          const key = filter.Key ?? '';
          const values = filter.Values ?? [];
          if (key.startsWith('tag:')) {
            const value = instance.tags[key.slice(4)];
            return value !== undefined && values.includes(value);
          }
          switch (key) {
            case 'InstanceIds':
              return values.includes(instance.instanceId);
            case 'PingStatus':
              return values.includes(info.PingStatus ?? '');
            case 'ResourceType':
              return values.includes(info.ResourceType ?? '');
            case 'PlatformTypes':
              return values.includes(info.PlatformType ?? '');
            default:
              return values.some((v) => v in instance.tags);
          }
        }),
      );
    const start = this.offsetOf(input.NextToken);
    const output: Output<DescribeInstanceInformationCommandOutput> = {
      InstanceInformationList: rows.slice(start, start + maxResults).map((r) => r.info),
    };
    if (start + maxResults < rows.length) output.NextToken = this.tokenOf(start + maxResults);
    return output;
  }

  private information(instance: SimInstance, at: number): InstanceInformation {
    const ec2 = instance.instanceId.startsWith('i-');
    const pingStatus = instance.state === 'terminated' ? 'Inactive' : instance.online && instance.state === 'running' ? 'Online' : 'ConnectionLost';
    return {
      InstanceId: instance.instanceId,
      PingStatus: pingStatus,
      LastPingDateTime: new Date(pingStatus === 'Online' ? at : instance.lastPingAt),
      AgentVersion: '3.3.1957.0',
      IsLatestVersion: false,
      PlatformType: 'Linux',
      PlatformName: 'Amazon Linux',
      PlatformVersion: '2023',
      ResourceType: ec2 ? 'EC2Instance' : 'ManagedInstance',
      IPAddress: instance.privateIp,
      ComputerName: ec2 ? `ip-${instance.privateIp.replaceAll('.', '-')}.ec2.internal` : (instance.host?.name ?? instance.instanceId),
      AssociationStatus: 'Success',
      SourceId: instance.instanceId,
      SourceType: ec2 ? 'AWS::EC2::Instance' : 'AWS::SSM::ManagedInstance',
    };
  }

  private offsetOf(token: string | undefined): number {
    if (token === undefined) return 0;
    const offset = Number(Buffer.from(token, 'base64').toString('utf8').replace(/^ssm-offset:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw modeledError(InvalidNextToken, 'The specified token is not valid.', {});
    return offset;
  }

  private tokenOf(offset: number): string {
    return Buffer.from(`ssm-offset:${offset}`, 'utf8').toString('base64');
  }
}

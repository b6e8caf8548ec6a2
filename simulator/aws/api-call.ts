/**
 * The plumbing every simulated API shares: attribute the call to its caller,
 * check injected faults before anything changes, run the operation, record
 * the IAM authorizations, and answer like the SDK (a promise of an output
 * with `$metadata`, or of a service exception).
 */
import type { AwsStub } from 'aws-sdk-client-mock';
import type { Authorization, Caller, CallRecorder } from './calls.ts';
import type { FaultInjector, FiredFault } from './faults.ts';
import {
  responseMetadata,
  SimulationNotImplemented,
  thrownName,
  unmodeledError,
  type ResponseMetadata,
  type ServiceExceptionClass,
} from './sdk-errors.ts';

/** What every simulated service needs from the world. */
export interface ApiEnvironment {
  readonly account: string;
  readonly region: string;
  /** Virtual clock, epoch ms. */
  readonly now: () => number;
  readonly recorder: CallRecorder;
  readonly faults: FaultInjector;
  /** Sleep on the world's clock (slow calls); absent: calls answer at once. */
  readonly sleep?: (seconds: number) => Promise<void>;
}

/** A simulated AWS API that answers its SDK client while installed. */
export interface SimulatedApi {
  /** Mock the client (and whatever else it answers); returns the function that restores it. */
  install(): () => void;
}

/** The caller and virtual time of the call being served. */
export interface CallContext {
  caller: Caller;
  at: number;
}

/** One API: the authorizations IAM would check, and what it does. */
export interface ApiOperation<I, O extends object> {
  /** The IAM action of the API itself, recorded even when `authorize` rejects the input. */
  action: string;
  /** Every authorization the call needs, the API's own action first. */
  authorize(input: I): Authorization[];
  /**
   * Validate and perform the call; throws SDK-shaped errors. It must neither
   * keep references to the input nor return references to the world's state,
   * so that a handler cannot change the world by mutating objects. (Nothing is
   * cloned here: structuredClone would strip the document client's NumberValue.)
   */
  run(input: I, context: CallContext): O;
  /** Work that follows a successful call once it is recorded (e.g. an execution actually starting). */
  after?(output: O, input: I): void;
  /** How the service says access is denied, when not `AccessDeniedException` (S3: `AccessDenied`, 403, "Access Denied"). */
  accessDenied?: { name: string; httpStatusCode: number; message: string };
}

/** An SDK output: the operation's result plus `$metadata`. */
export type SdkOutput<O> = O & { $metadata: ResponseMetadata };

/** The IAM principal a Lambda runs as, for messages only (the simulation has no real IAM). */
export function principalArn(env: ApiEnvironment, caller: Caller): string {
  return `arn:aws:sts::${env.account}:assumed-role/deployer-${caller.functionKey}/${caller.functionKey}`;
}

function faultError(
  env: ApiEnvironment,
  base: ServiceExceptionClass,
  caller: Caller,
  fault: FiredFault,
  denied?: ApiOperation<never, object>['accessDenied'],
): Error {
  if (fault.error === undefined && denied !== undefined) {
    return unmodeledError(base, { name: denied.name, message: denied.message, httpStatusCode: denied.httpStatusCode });
  }
  if (fault.error === undefined) {
    const { action, resources } = fault.authorization;
    return unmodeledError(base, {
      name: 'AccessDeniedException',
      message:
        `User: ${principalArn(env, caller)} is not authorized to perform: ${action} on resource: ` +
        `${resources[0] ?? '*'} because no identity-based policy allows the ${action} action`,
    });
  }
  return unmodeledError(base, {
    name: fault.error.name,
    message: fault.error.message,
    throttling: fault.error.transient === true,
  });
}

/**
 * Turn an operation into the fake `send` behaviour of its command. The caller
 * is read synchronously, at the moment the handler calls `send`, so that the
 * AsyncLocalStorage context is the handler's.
 */
export function serve<I, O extends object>(
  env: ApiEnvironment,
  base: ServiceExceptionClass,
  operation: ApiOperation<I, O>,
): (input: I) => Promise<SdkOutput<O>> {
  return (input: I): Promise<SdkOutput<O>> => {
    const caller = env.recorder.current();
    const delay = env.sleep === undefined ? 0 : env.faults.takeDelay(caller, safeAuthorize(operation, input));
    if (delay > 0) return env.sleep!(delay).then(() => env.recorder.withCaller(caller, () => answer(env, base, operation, input, caller)));
    return answer(env, base, operation, input, caller);
  };
}

/** The authorizations of a call, or its own action alone when the input is refused. */
function safeAuthorize<I, O extends object>(operation: ApiOperation<I, O>, input: I): Authorization[] {
  try {
    return operation.authorize(input);
  } catch {
    return [{ action: operation.action, resources: ['*'] }];
  }
}

function answer<I, O extends object>(
  env: ApiEnvironment,
  base: ServiceExceptionClass,
  operation: ApiOperation<I, O>,
  input: I,
  caller: Caller,
): Promise<SdkOutput<O>> {
  const at = env.now();
  let authorizations: Authorization[] = [{ action: operation.action, resources: ['*'] }];
  try {
    authorizations = operation.authorize(input);
    const fault = env.faults.take(caller, authorizations);
    if (fault !== undefined) throw faultError(env, base, caller, fault, operation.accessDenied);
    const output = operation.run(input, { caller, at });
    env.recorder.record(caller, authorizations, at);
    // What follows the call is not the caller's doing: run it outside the caller's context.
    if (operation.after !== undefined) env.recorder.outsideCaller(() => operation.after?.(output, input));
    return Promise.resolve({ ...output, $metadata: responseMetadata(200) });
  } catch (error) {
    env.recorder.record(caller, authorizations, at, thrownName(error));
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** `DescribeServicesCommand` -> `DescribeServices`. */
function apiName(command: unknown): string {
  const name = (command as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' ? name.replace(/Command$/, '') : 'UnknownCommand';
}

/**
 * Commands the simulation does not implement fail loudly (and are recorded),
 * instead of resolving `undefined` as an unconfigured mock would.
 */
export function refuseUnimplemented<TInput extends object, TOutput extends { $metadata: ResponseMetadata }, TConfig>(
  stub: AwsStub<TInput, TOutput, TConfig>,
  env: ApiEnvironment,
  iamPrefix: string,
  clientName: string,
): void {
  stub.send.callsFake((command: unknown) => {
    const caller = env.recorder.current();
    const action = `${iamPrefix}:${apiName(command)}`;
    env.recorder.record(caller, [{ action, resources: ['*'] }], env.now(), 'SimulationNotImplemented');
    return Promise.reject(
      new SimulationNotImplemented(
        `the simulated ${clientName} does not implement ${apiName(command)} (called by ${caller.functionKey})`,
      ),
    );
  });
}

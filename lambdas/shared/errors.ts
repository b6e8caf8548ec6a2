/**
 * Named errors thrown by the handlers.
 *
 * Step Functions matches `Retry` and `Catch` by the error's name, and the
 * Lambda runtime reports `error.name` as the error type. Bundles are minified,
 * so every class sets its name explicitly instead of relying on the class name.
 */

/** Base class: carries the underlying cause so logs keep the whole chain. */
export abstract class DeployerError extends Error {
  public abstract override readonly name: string;

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The state machine input, event or config is not valid. Never retried, changes nothing. */
export class InvalidInput extends DeployerError {
  public override readonly name = 'InvalidInput';
}

/** A throttled, timed-out or 5xx AWS call: retried by the state machine with backoff. */
export class TransientAwsError extends DeployerError {
  public override readonly name = 'TransientAwsError';
}

/** An AWS call was refused for a reason that retrying will not fix (access denied, not found...). */
export class AwsCallFailed extends DeployerError {
  public override readonly name = 'AwsCallFailed';
}

/** The ECS service is not in a state a deployment can start from. */
export class ServiceNotReady extends DeployerError {
  public override readonly name = 'ServiceNotReady';
}

/** ECS reported the rollout as failed (circuit breaker) or replaced it. */
export class RolloutFailed extends DeployerError {
  public override readonly name = 'RolloutFailed';
}

/** The rollout did not finish within the service's deployment timeout. */
export class RolloutTimedOut extends DeployerError {
  public override readonly name = 'RolloutTimedOut';
}

/** An alarm was in ALARM or the health check failed during the bake. */
export class VerificationFailed extends DeployerError {
  public override readonly name = 'VerificationFailed';
}

/** A target group has no healthy target to receive traffic, or did not drain in time. */
export class TargetsNotReady extends DeployerError {
  public override readonly name = 'TargetsNotReady';
}

/** A listener's weights read back are not the ones just set, or cannot be set (no forward action, split traffic). */
export class ListenerNotReady extends DeployerError {
  public override readonly name = 'ListenerNotReady';
}

/** A restore run that does not hold the lock of the execution it restores, or has nothing to restore. */
export class RestoreRefused extends DeployerError {
  public override readonly name = 'RestoreRefused';
}

/** Every error name a handler may throw, for the ASL tests and the IAM/ASL cross-checks. */
export const HANDLER_ERROR_NAMES = [
  'InvalidInput',
  'TransientAwsError',
  'AwsCallFailed',
  'ServiceNotReady',
  'RolloutFailed',
  'RolloutTimedOut',
  'VerificationFailed',
  'TargetsNotReady',
  'ListenerNotReady',
  'RestoreRefused',
] as const;

import { describe, expect, it } from 'vitest';
import {
  AwsCallFailed,
  HANDLER_ERROR_NAMES,
  InvalidInput,
  ListenerNotReady,
  RestoreRefused,
  RolloutFailed,
  RolloutTimedOut,
  ServiceNotReady,
  TargetsNotReady,
  TransientAwsError,
  VerificationFailed,
} from '../../../lambdas/shared/errors.ts';

// Step Functions' Retry and Catch match the Lambda error's name, and bundles are minified:
// each class must report its own name, whatever the class is called after minification.
const classes = [
  ['InvalidInput', InvalidInput],
  ['TransientAwsError', TransientAwsError],
  ['AwsCallFailed', AwsCallFailed],
  ['ServiceNotReady', ServiceNotReady],
  ['RolloutFailed', RolloutFailed],
  ['RolloutTimedOut', RolloutTimedOut],
  ['VerificationFailed', VerificationFailed],
  ['TargetsNotReady', TargetsNotReady],
  ['ListenerNotReady', ListenerNotReady],
  ['RestoreRefused', RestoreRefused],
] as const;

describe('handler errors', () => {
  it.each(classes)('%s reports its own name, message and cause', (name, ErrorClass) => {
    // Prepare
    const cause = new Error('what AWS said');

    // Act
    const error = new ErrorClass('what went wrong', { cause });

    // Assess
    expect(error.name).toBe(name);
    expect(error.message).toBe('what went wrong');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('lists every name a handler may throw, for the state machines’ Retry and Catch', () => {
    // Prepare
    const names = classes.map(([name]) => name);

    // Act
    const listed = [...HANDLER_ERROR_NAMES];

    // Assess
    expect([...listed].sort()).toEqual([...names].sort());
  });
});

/**
 * Named errors of the VM executors (SSH and, later, SSM).
 *
 * Like the handlers' errors (`lambdas/shared/errors.ts`), each sets its name
 * explicitly: Step Functions matches `Retry` and `Catch` on it, and bundles are
 * minified.
 */
import { DeployerError } from '../shared/errors.ts';

/** The host presented a key other than the pinned one: nothing was sent to it. */
export class HostKeyMismatch extends DeployerError {
  public override readonly name = 'HostKeyMismatch';
}

/** The SSH connection (TCP, handshake and authentication) did not complete in time. */
export class SshConnectTimeout extends DeployerError {
  public override readonly name = 'SshConnectTimeout';
}

/** The host refused the connection, the key was not accepted, or the connection broke. */
export class SshConnectFailed extends DeployerError {
  public override readonly name = 'SshConnectFailed';
}

/** The remote command did not end in time; it may still be running on the host. */
export class SshCommandTimeout extends DeployerError {
  public override readonly name = 'SshCommandTimeout';
}

/** A detached run that the host does not know, or that ended without leaving its exit code. */
export class DetachedRunLost extends DeployerError {
  public override readonly name = 'DetachedRunLost';
}

/** Every error name the VM executors throw, for the state machines' Catch and Retry lists. */
export const VM_ERROR_NAMES = ['HostKeyMismatch', 'SshConnectTimeout', 'SshConnectFailed', 'SshCommandTimeout', 'DetachedRunLost'] as const;

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

/** No host matched the deployment's targets (tags, instance IDs or hosts): nothing to deploy to. */
export class NoHosts extends DeployerError {
  public override readonly name = 'NoHosts';
}

/** Hosts not Online in SSM, or not reachable over SSH with their pinned key, before the first batch: nothing was touched. */
export class HostsUnreachable extends DeployerError {
  public override readonly name = 'HostsUnreachable';
}

/** More hosts of a batch failed than `maxErrors` allows: the deployment stops and rolls back. */
export class BatchFailed extends DeployerError {
  public override readonly name = 'BatchFailed';
}

/** Hosts that could not be returned to their previous release: they need attention. */
export class HostRollbackFailed extends DeployerError {
  public override readonly name = 'HostRollbackFailed';
}

/** Every error name the VM executors throw, for the state machines' Catch and Retry lists. */
export const VM_ERROR_NAMES = [
  'HostKeyMismatch',
  'SshConnectTimeout',
  'SshConnectFailed',
  'SshCommandTimeout',
  'DetachedRunLost',
  'NoHosts',
  'HostsUnreachable',
  'BatchFailed',
  'HostRollbackFailed',
] as const;

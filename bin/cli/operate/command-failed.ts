/**
 * An operator command that cannot do what was asked, for a reason that is
 * not bad usage: nothing runs that it could act on, the deployment moved on
 * meanwhile. Printed as one line that names the service, its state and
 * what to do next; exit code 1.
 */
export class CommandFailed extends Error {
  public override readonly name = 'CommandFailed';
}

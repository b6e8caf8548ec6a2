/**
 * Each strategy has its own state machine (`<stack>-ecs-rolling`,
 * `<stack>-ecs-canary`, …). The trigger and `deployer deploy` start the
 * right one; a person in the Step Functions console can pick another, and a
 * canary service run by the rolling state machine would be deployed with the
 * wrong steps. ValidateInput refuses that before anything changes.
 */

/** The state machine name in an execution ARN (`arn:…:execution:MACHINE:NAME`), or undefined. */
export function stateMachineOfExecution(executionArn: string): string | undefined {
  const parts = executionArn.split(':');
  return parts[0] === 'arn' && parts[5] === 'execution' && parts.length >= 8 ? parts[6] : undefined;
}

/**
 * Why an execution cannot deploy `service`: its state machine is not the one
 * named for `machine` (e.g. `ecs-canary`); undefined when it is (or the ARN
 * names no state machine, as in a direct test invocation).
 */
export function wrongStateMachineProblem(executionArn: string, service: string, strategy: string, machine: string): string | undefined {
  const name = stateMachineOfExecution(executionArn);
  if (name === undefined || name === machine || name.endsWith(`-${machine}`)) return undefined;
  return (
    `${service} deploys with ${strategy}, but this execution runs on ${name}: start it on the state machine whose name ends in -${machine} ` +
    '(the ECR trigger and `deployer deploy` choose it for you)'
  );
}

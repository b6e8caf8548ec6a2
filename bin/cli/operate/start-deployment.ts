/**
 * Start a deployment from the terminal (`deployer deploy`, and `deployer
 * rollback` when nothing runs): the same input a person gives in the Step
 * Functions console, checked here first with the schema and the config
 * checks ValidateInput uses, so a mistake is refused before anything starts
 * (exit 2), then started on the state machine of the service's strategy.
 */
import { randomBytes } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DeployerConfig, EcsServiceConfig } from '../../../lambdas/shared/config.ts';
import { DeploymentRequestSchema, type DeploymentRequest } from '../../../lambdas/shared/deployment.ts';
import { fieldPath } from '../../../lambdas/shared/format-issues.ts';
import { homeRegistry, type Registry } from '../../../lambdas/shared/image-registry.ts';
import { checkRequest } from '../../../lambdas/shared/request-check.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { UsageError } from '../exit-codes.ts';
import type { OperatorContext } from './operator-context.ts';
import { describeSituation, findRunningDeployment } from './running-deployment.ts';
import { executionConsoleUrl } from './service-status.ts';

/** The command-line spelling of each field of the input. */
const FLAG_OF: Readonly<Record<string, string>> = { service: 'SERVICE', image: '--image', startedBy: '--by', reason: '--reason' };

/**
 * Check a deployment input on the operator's machine: the schema of the
 * execution input, then the config (service configured, image of its
 * repository with a tag or digest). Throws `UsageError` naming the flag.
 */
export function checkDeploymentInput(input: DeploymentRequest, config: DeployerConfig, home?: Registry): DeploymentRequest {
  const parsed = DeploymentRequestSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = fieldPath(issue.path);
      return `${FLAG_OF[field] ?? field}: ${issue.message}`;
    });
    throw new UsageError(problems.join('; '));
  }
  const checked = checkRequest(parsed.data, config, home);
  if (!checked.ok) throw new UsageError(`${FLAG_OF[checked.field] ?? checked.field}: ${checked.message}`);
  return parsed.data;
}

/**
 * A name for an execution started by hand: `<service>-<UTC time>-<4 hex>`
 * (at most 40 + 22 characters, within Step Functions' 80, leaving room for
 * the `-restore` suffix of its restore run).
 */
export function manualExecutionName(service: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${service}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** A deployment started by hand. */
export interface StartedDeployment {
  executionArn: string;
  name: string;
  consoleUrl: string;
}

/**
 * Start the state machine of `svc`'s strategy with `input`. When another
 * deployment of the service runs, says on stderr that this one waits for it.
 */
export async function startDeployment(ctx: OperatorContext, svc: EcsServiceConfig, input: DeploymentRequest): Promise<StartedDeployment> {
  // The stack's account and region are known now: an image of another registry is refused here, as ValidateInput would.
  checkDeploymentInput(input, ctx.config, homeRegistry(ctx.stack.stateMachines[svc.strategy]));
  const situation = await findRunningDeployment(ctx, svc.name);
  if (situation.kind === 'running') {
    ctx.io.stderr(
      `(${describeSituation(situation)}: this deployment waits for it to end; if several wait, only the newest proceeds and the others end SUPERSEDED)\n`,
    );
  }
  const name = manualExecutionName(svc.name, new Date());
  const out = await awsRequest('states:StartExecution', () =>
    ctx.clients.stepFunctions.send(
      new StartExecutionCommand({ stateMachineArn: ctx.stack.stateMachines[svc.strategy], name, input: JSON.stringify(input) }),
    ),
  );
  const executionArn = out.executionArn ?? `${ctx.stack.stateMachines[svc.strategy].replace(':stateMachine:', ':execution:')}:${name}`;
  return { executionArn, name, consoleUrl: executionConsoleUrl(executionArn) };
}

/**
 * Start a deployment from the terminal (`deployer deploy`, and `deployer
 * rollback` when nothing runs): the same input a person gives in the Step
 * Functions console — an image for an ECS service, an artifact for a VM
 * service — checked here first with the schema and the config checks
 * ValidateInput uses, so a mistake is refused before anything starts
 * (exit 2), then started on the state machine of the service's strategy.
 */
import { randomBytes } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type * as z from 'zod';
import { isVmService, type DeployerConfig, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import { DeploymentRequestSchema, type DeploymentRequest } from '../../../lambdas/shared/deployment.ts';
import { fieldPath } from '../../../lambdas/shared/format-issues.ts';
import { homeRegistry, type Registry } from '../../../lambdas/shared/image-registry.ts';
import { checkRequest, checkVmRequest } from '../../../lambdas/shared/request-check.ts';
import { VmDeploymentRequestSchema, type VmDeploymentRequest } from '../../../lambdas/shared/vm-deployment.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { stateMachineOf } from '../aws/installed-stack.ts';
import { UsageError } from '../exit-codes.ts';
import type { OperatorContext } from './operator-context.ts';
import { describeSituation, findRunningDeployment } from './running-deployment.ts';
import { executionConsoleUrl } from './service-status.ts';

/** The command-line spelling of each field of the input. */
const FLAG_OF: Readonly<Record<string, string>> = {
  service: 'SERVICE',
  image: '--image',
  artifact: '--artifact',
  version: '--version',
  sha256: '--sha256',
  startedBy: '--by',
  reason: '--reason',
};

/** The console input of either kind of service: an image (ECS) or an artifact (VM). */
export type StartRequest = DeploymentRequest | VmDeploymentRequest;

/** True for a VM service's input (it names an artifact, not an image). */
export function isVmRequest(request: StartRequest): request is VmDeploymentRequest {
  return 'artifact' in request;
}

/** The schema's problems as one usage error naming the flags. */
function schemaProblems(error: z.core.$ZodError): UsageError {
  const problems = error.issues.map((issue) => {
    const field = fieldPath(issue.path);
    return `${FLAG_OF[field] ?? field}: ${issue.message}`;
  });
  return new UsageError(problems.join('; '));
}

/**
 * Check a deployment input on the operator's machine: the schema of the
 * execution input, then the config (service configured, image of its
 * repository with a tag or digest). Throws `UsageError` naming the flag.
 */
export function checkDeploymentInput(input: DeploymentRequest, config: DeployerConfig, home?: Registry): DeploymentRequest {
  const parsed = DeploymentRequestSchema.safeParse(input);
  if (!parsed.success) throw schemaProblems(parsed.error);
  const checked = checkRequest(parsed.data, config, home);
  if (!checked.ok) throw new UsageError(`${FLAG_OF[checked.field] ?? checked.field}: ${checked.message}`);
  return parsed.data;
}

/** A VM input as checked: the input, and the release name the hosts will get (given, or read from the file name). */
export interface CheckedVmInput {
  request: VmDeploymentRequest;
  version: string;
}

/**
 * Check a VM service's deployment input on the operator's machine: the
 * schema of the execution input, then the config (service configured,
 * artifact under its bucket and prefix and matching its pattern, a valid
 * release name). Whether the artifact exists and its checksum is known is
 * checked by the deployment itself (it ends REJECTED). Throws `UsageError`
 * naming the flag.
 */
export function checkVmDeploymentInput(input: VmDeploymentRequest, config: DeployerConfig): CheckedVmInput {
  const parsed = VmDeploymentRequestSchema.safeParse(input);
  if (!parsed.success) throw schemaProblems(parsed.error);
  const checked = checkVmRequest(parsed.data, config);
  if (!checked.ok) throw new UsageError(`${FLAG_OF[checked.field] ?? checked.field}: ${checked.message}`);
  return { request: parsed.data, version: checked.version };
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
 * Start the state machine of `svc`'s strategy (of its kind) with `input`.
 * When another deployment of the service runs, says on stderr that this
 * one waits for it.
 */
export async function startDeployment(ctx: OperatorContext, svc: ServiceConfig, input: StartRequest): Promise<StartedDeployment> {
  if (isVmService(svc) !== isVmRequest(input)) {
    // The commands build the input of the service's kind: a mismatch is a bug, not a user's mistake.
    throw new Error(`${svc.name} is ${isVmService(svc) ? 'a VM' : 'an ECS'} service, but its start input is of the other kind`);
  }
  const stateMachineArn = stateMachineOf(ctx.stack, svc);
  // The stack's account and region are known now: an image of another registry is refused here, as ValidateInput would.
  if (isVmRequest(input)) checkVmDeploymentInput(input, ctx.config);
  else checkDeploymentInput(input, ctx.config, homeRegistry(stateMachineArn));
  const situation = await findRunningDeployment(ctx, svc.name);
  if (situation.kind === 'running') {
    ctx.io.stderr(
      `(${describeSituation(situation)}: this deployment waits for it to end; if several wait, only the newest proceeds and the others end SUPERSEDED)\n`,
    );
  }
  const name = manualExecutionName(svc.name, new Date());
  const out = await awsRequest('states:StartExecution', () =>
    ctx.clients.stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
  );
  const executionArn = out.executionArn ?? `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  return { executionArn, name, consoleUrl: executionConsoleUrl(executionArn) };
}

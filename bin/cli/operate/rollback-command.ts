/**
 * `deployer rollback SERVICE --reason TEXT [--by NAME]`: abort the running
 * deployment. Stopping the execution hands over to the stack's watcher,
 * which restores the snapshot taken when the deployment started (services,
 * listener weights) and records the rollback. With no deployment running,
 * deploy the previous successful image from the history instead.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { EcsServiceConfig } from '../../../lambdas/shared/config.ts';
import type { DeploymentRequest } from '../../../lambdas/shared/deployment.ts';
import { restoreExecutionName } from '../../../lambdas/shared/restore.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { CommandFailed } from './command-failed.ts';
import { historyPages, type DeploymentRecord } from './deployment-history.ts';
import { commandLine } from './follow-up.ts';
import { imageLabel } from './history-command.ts';
import type { OperatorIo } from './io.ts';
import type { CommonOptions, OperatorContext } from './operator-context.ts';
import { openOperatorContext } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { describeSituation, findRunningDeployment, staleLockNote, type SituationOf } from './running-deployment.ts';
import { checkDeploymentInput, startDeployment } from './start-deployment.ts';

/** Error name of the StopExecution that asks for a rollback. */
export const ROLLBACK_REQUESTED = 'RollbackRequested';

/** Options of `deployer rollback`. */
export interface RollbackOptions extends CommonOptions {
  reason: string;
  by?: string;
}

/** History read per Query page while looking for the image to go back to. */
const HISTORY_PAGE = 25;

/** The image to redeploy: `REGISTRY/REPO:TAG@sha256:…` keeps the tag for people and pins the digest. */
function imageToRedeploy(record: DeploymentRecord & { image: string }): string {
  const at = record.image.lastIndexOf('@');
  if (record.imageTag === undefined || at < 0 || record.image.slice(0, at).endsWith(`:${record.imageTag}`)) return record.image;
  return `${record.image.slice(0, at)}:${record.imageTag}${record.image.slice(at)}`;
}

/** A SUCCEEDED deployment whose image is known. */
function isSuccess(record: DeploymentRecord): record is DeploymentRecord & { image: string } {
  return record.status === 'SUCCEEDED' && record.image !== undefined;
}

/** The digest of a pinned image (`…@sha256:…`), to compare images whatever their tags. */
function digestOf(image: string): string {
  return image.slice(image.lastIndexOf('@') + 1);
}

/**
 * In the history, newest first: the last successful deployment (what the
 * service runs) and the successful one before it with another image.
 */
async function findRollbackTarget(
  ctx: OperatorContext,
  service: string,
): Promise<{ current?: DeploymentRecord & { image: string }; previous?: DeploymentRecord & { image: string } }> {
  let current: (DeploymentRecord & { image: string }) | undefined;
  for await (const page of historyPages(ctx, service, HISTORY_PAGE)) {
    for (const record of page.filter(isSuccess)) {
      if (current === undefined) current = record;
      else if (digestOf(record.image) !== digestOf(current.image)) return { current, previous: record };
    }
  }
  return current === undefined ? {} : { current };
}

/** `v1.3.0 (REGISTRY/web@sha256:…)` */
function imageText(record: DeploymentRecord & { image: string }): string {
  return `${imageLabel(record)} (${record.image})`;
}

/** `v1.3.0 (…), deployed AT by WHO` */
function deployedText(record: DeploymentRecord & { image: string }): string {
  const at = record.endedAt ?? record.startedAt;
  return `${imageText(record)}${at === undefined ? '' : `, deployed ${at}`}${record.startedBy === undefined ? '' : ` by ${record.startedBy}`}`;
}

/**
 * A rollback asked for while no deployment of the service runs: like
 * ecspresso's rollback or Argo's undo, deploy the image of the successful
 * deployment before the last one, through the service's strategy. Refused
 * (exit 1) when the history has no such image.
 */
export async function rollbackWithoutRunningDeployment(
  ctx: OperatorContext,
  svc: EcsServiceConfig,
  situation: SituationOf<'idle'> | SituationOf<'stale'>,
  who: { by: string; reason: string },
): Promise<number> {
  const service = svc.name;
  const { current, previous } = await findRollbackTarget(ctx, service);
  const deploy = commandLine(ctx.options, 'deploy', service, '--image', 'IMAGE');
  if (current === undefined) {
    throw new CommandFailed(
      `there is nothing to roll back: no deployment of ${service} is running${staleLockNote(situation)} and its history records no successful deployment to go back from; to deploy a given image run \`${deploy}\``,
    );
  }
  if (previous === undefined) {
    throw new CommandFailed(
      `there is nothing to roll back to: no deployment of ${service} is running${staleLockNote(situation)}, and its history has no successful deployment of another image before ${imageText(current)}; to deploy a given image run \`${deploy}\``,
    );
  }
  const image = imageToRedeploy(previous);
  const input: DeploymentRequest = {
    service,
    image,
    startedBy: who.by,
    reason: `rollback of ${imageLabel(current)} by ${who.by}: ${who.reason}`.slice(0, 1024),
  };
  const request = checkDeploymentInput(input, ctx.config);
  const started = await startDeployment(ctx, svc, request);
  ctx.io.stdout(
    `No deployment of ${service} is running${staleLockNote(situation)}, so rolling back means deploying the image it ran before.\n` +
      `  now        ${deployedText(current)}\n` +
      `  back to    ${deployedText(previous)}\n` +
      `Started ${service}'s deployment of ${image} (${svc.strategy}, reason: ${request.reason ?? ''}); it goes through ${service}'s ${svc.strategy} steps and verification like any deployment, and rolls back if they fail.\n` +
      `  execution  ${started.executionArn}\n` +
      `  console    ${started.consoleUrl}\n` +
      `Follow it: ${commandLine(ctx.options, 'watch', service)}\n`,
  );
  return EXIT.ok;
}

/** Run the command; returns the exit code. */
export async function rollbackCommand(service: string, options: RollbackOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const reason = operatorReason(options.reason);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const situation = await findRunningDeployment(ctx, service);
  if (situation.kind !== 'running') return rollbackWithoutRunningDeployment(ctx, services[0]!, situation, { by, reason });
  const { execution } = situation;
  if (execution.restoreOf !== undefined) {
    throw new CommandFailed(
      `${describeSituation(situation)}: a rollback is already under way; follow it with \`${commandLine(options, 'status', service)}\``,
    );
  }
  await awsRequest('states:StopExecution', () =>
    ctx.clients.stepFunctions.send(
      new StopExecutionCommand({ executionArn: execution.executionArn, error: ROLLBACK_REQUESTED, cause: `rollback requested by ${by}: ${reason}` }),
    ),
  );
  io.stdout(
    `Stopped ${service}'s deployment ${execution.name} (${ROLLBACK_REQUESTED}, by ${by}: ${reason}).\n` +
      `The deployer's watcher now hands ${service} to a restore run (${restoreExecutionName(execution.name)}) that puts back what ran before the deployment (services and listener weights) and records it; if the deployment had not changed anything yet, it just releases the lock.\n` +
      `Follow it: ${commandLine(options, 'status', service)}\n`,
  );
  return EXIT.ok;
}

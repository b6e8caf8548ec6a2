/**
 * `deployer rollback SERVICE --reason TEXT [--by NAME]`: abort the running
 * deployment. Stopping the execution hands over to the stack's watcher,
 * which restores the snapshot taken when the deployment started (services,
 * listener weights) and records the rollback.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { restoreExecutionName } from '../../../lambdas/shared/restore.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { CommandFailed } from './command-failed.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import type { CommonOptions, OperatorContext } from './operator-context.ts';
import { openOperatorContext } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { describeSituation, findRunningDeployment, staleLockNote, type SituationOf } from './running-deployment.ts';

/** Error name of the StopExecution that asks for a rollback. */
export const ROLLBACK_REQUESTED = 'RollbackRequested';

/** Options of `deployer rollback`. */
export interface RollbackOptions extends CommonOptions {
  reason: string;
  by?: string;
}

/**
 * A rollback asked for while no deployment of the service runs. For now it
 * refuses (exit 1); this is where redeploying the previous image will go.
 */
export async function rollbackWithoutRunningDeployment(
  ctx: OperatorContext,
  situation: SituationOf<'idle'> | SituationOf<'stale'>,
): Promise<number> {
  const service = situation.service;
  throw new CommandFailed(
    `there is no running deployment of ${service} to roll back: it is idle${staleLockNote(situation)}; to go back to an earlier image, deploy that image (push its tag or start the state machine by hand), and see the last deployment with \`${commandLine(ctx.options, 'status', service)}\``,
  );
}

/** Run the command; returns the exit code. */
export async function rollbackCommand(service: string, options: RollbackOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const reason = operatorReason(options.reason);
  const { ctx } = await openOperatorContext(options, io, service);
  const situation = await findRunningDeployment(ctx, service);
  if (situation.kind !== 'running') return rollbackWithoutRunningDeployment(ctx, situation);
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

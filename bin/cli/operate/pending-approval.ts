/**
 * The approval a running deployment waits for, as `approve` and `reject`
 * find it, answer it and clear it from the lock item.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingApproval } from '../../../lambdas/shared/operator-requests.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import { CommandFailed } from './command-failed.ts';
import { commandLine } from './follow-up.ts';
import { lockKey } from './lock-item.ts';
import type { OperatorContext } from './operator-context.ts';
import { describeSituation, findRunningDeployment, type RunningExecution } from './running-deployment.ts';

/** A running deployment and the approval it waits for. */
export interface ApprovalToAnswer {
  execution: RunningExecution;
  approval: PendingApproval;
}


/** Errors of SendTaskSuccess/SendTaskFailure saying the token is no longer waited for. */
const ANSWERED_OR_TIMED_OUT = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * The approval `service` waits for; `CommandFailed` (naming the service's
 * state) when it waits for none. `otherwise` says what the person may want
 * instead when a deployment runs but does not wait.
 */
export async function findPendingApproval(ctx: OperatorContext, service: string, otherwise: string): Promise<ApprovalToAnswer> {
  const situation = await findRunningDeployment(ctx, service);
  const status = commandLine(ctx.options, 'status', service);
  if (situation.kind !== 'running') {
    throw new CommandFailed(`${describeSituation(situation)}, so there is no approval to answer; see its last deployment with \`${status}\``);
  }
  if (situation.execution.restoreOf !== undefined) {
    throw new CommandFailed(`${describeSituation(situation)}, so there is no approval to answer; follow it with \`${status}\``);
  }
  if (situation.approval === undefined) {
    throw new CommandFailed(`${describeSituation(situation)}, which is not waiting for an approval; ${otherwise}, or follow it with \`${status}\``);
  }
  return { execution: situation.execution, approval: situation.approval };
}

/**
 * Remove the approval from the lock item if it still holds this token (a
 * newer approval is left alone). Best effort: the answer already reached
 * Step Functions, so a failure here is a warning on stderr.
 */
export async function clearApproval(ctx: OperatorContext, service: string, token: string): Promise<void> {
  try {
    await awsRequest('dynamodb:UpdateItem', () =>
      ctx.clients.table.send(
        new UpdateCommand({
          TableName: ctx.stack.tableName,
          Key: lockKey(service),
          UpdateExpression: 'REMOVE #approval',
          ConditionExpression: '#approval.#token = :token',
          ExpressionAttributeNames: { '#approval': 'approval', '#token': 'token' },
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof AwsFailure)) throw error;
    if (error.awsErrorName === 'ConditionalCheckFailedException') return;
    ctx.io.stderr(`deployer: warning: the approval was answered but is still shown on ${service}'s lock: ${error.message}\n`);
  }
}

/**
 * Send the answer (`send`); when Step Functions says the token is no longer
 * waited for (timed out, or the deployment ended), clear the stale approval
 * and fail with a line saying so.
 */
export async function answerApproval(
  ctx: OperatorContext,
  service: string,
  pending: ApprovalToAnswer,
  send: () => Promise<unknown>,
): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof AwsFailure) || !ANSWERED_OR_TIMED_OUT.has(error.awsErrorName ?? '')) throw error;
    await clearApproval(ctx, service, pending.approval.token);
    throw new CommandFailed(
      `the approval of ${service} at step ${pending.approval.step + 1} (${pending.execution.name}) is no longer pending (${error.awsErrorName ?? '?'}): it timed out at ${pending.approval.timeoutAt} and counts as rejected, or the deployment ended; see what happened with \`${commandLine(ctx.options, 'status', service)}\``,
      { cause: error },
    );
  }
  await clearApproval(ctx, service, pending.approval.token);
}

/**
 * `deployer promote SERVICE [--by NAME]`: end the bake of the current step
 * now (for a VM service: the canary's bake, the bake after the last batch,
 * a traffic step's or the keep-warm). The request is written on the lock
 * item, for the running deployment only; its next verification (Verify,
 * the same for ECS and VM) reads it and moves on.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isVmService } from '../../../lambdas/shared/config.ts';
import type { PromoteRequest } from '../../../lambdas/shared/operator-requests.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { CommandFailed } from './command-failed.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { lockKey } from './lock-item.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { operatorName } from './operator-identity.ts';
import { describeSituation, findRunningDeployment } from './running-deployment.ts';

/** Options of `deployer promote`. */
export interface PromoteOptions extends CommonOptions {
  by?: string;
}

/** Run the command; returns the exit code. */
export async function promoteCommand(service: string, options: PromoteOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const situation = await findRunningDeployment(ctx, service);
  const status = commandLine(options, 'status', service);
  if (situation.kind !== 'running') {
    throw new CommandFailed(`${describeSituation(situation)}, so there is no bake to end; see its last deployment with \`${status}\``);
  }
  if (situation.execution.restoreOf !== undefined) {
    throw new CommandFailed(`${describeSituation(situation)}, so there is no bake to end; follow it with \`${status}\``);
  }
  if (situation.approval !== undefined) {
    throw new CommandFailed(
      `${describeSituation(situation, services[0])}, not baking: approve it instead with \`${commandLine(options, 'approve', service)}\` (or \`${commandLine(options, 'reject', service, '--reason', 'TEXT')}\`)`,
    );
  }
  const { execution } = situation;
  const request: PromoteRequest = { executionArn: execution.executionArn, requestedAt: new Date().toISOString(), requestedBy: by };
  try {
    await awsRequest('dynamodb:UpdateItem', () =>
      ctx.clients.table.send(
        new UpdateCommand({
          TableName: ctx.stack.tableName,
          Key: lockKey(service),
          UpdateExpression: 'SET #promote = :request',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeNames: { '#promote': 'promote' },
          ExpressionAttributeValues: { ':request': request, ':holder': execution.executionArn },
        }),
      ),
    );
  } catch (error) {
    if (error instanceof AwsFailure && error.awsErrorName === 'ConditionalCheckFailedException') {
      throw new CommandFailed(
        `${service}'s deployment ${execution.name} ended before the promote request was written; nothing was changed; see what happened with \`${status}\``,
        { cause: error },
      );
    }
    throw error;
  }
  io.stdout(
    `Asked ${service}'s deployment ${execution.name} to end ${isVmService(services[0]!) ? 'its current bake' : 'the bake of its current step'} now (as ${by}); it moves on at its next verification.\n` +
      `Follow it: ${status}\n`,
  );
  return EXIT.ok;
}

/**
 * `deployer reject SERVICE --reason TEXT [--by NAME]`: fail the approval
 * step, so the deployment rolls back.
 */
import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { APPROVAL_REJECTED } from '../../../lambdas/shared/operator-requests.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { answerApproval, findPendingApproval } from './pending-approval.ts';
import { approvalStepLabel } from './running-deployment.ts';

/** Options of `deployer reject`. */
export interface RejectOptions extends CommonOptions {
  reason: string;
  by?: string;
}

/** Run the command; returns the exit code. */
export async function rejectCommand(service: string, options: RejectOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const reason = operatorReason(options.reason);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const pending = await findPendingApproval(
    ctx,
    service,
    `to abort it run \`${commandLine(options, 'rollback', service, '--reason', 'TEXT')}\``,
  );
  await answerApproval(ctx, service, pending, () =>
    awsRequest('states:SendTaskFailure', () =>
      ctx.clients.stepFunctions.send(
        new SendTaskFailureCommand({ taskToken: pending.approval.token, error: APPROVAL_REJECTED, cause: `rejected by ${by}: ${reason}` }),
      ),
    ),
  );
  io.stdout(
    `Rejected ${approvalStepLabel(services[0]!, pending.approval)} of ${service}'s deployment ${pending.execution.name} as ${by}; the deployment rolls back now.\n` +
      `Follow it: ${commandLine(options, 'status', service)}\n`,
  );
  return EXIT.ok;
}

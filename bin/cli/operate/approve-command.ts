/**
 * `deployer approve SERVICE [--by NAME]`: let the deployment waiting at an
 * approval step go on.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { isVmService } from '../../../lambdas/shared/config.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { operatorName } from './operator-identity.ts';
import { answerApproval, findPendingApproval } from './pending-approval.ts';
import { approvalStepLabel } from './running-deployment.ts';

/** Options of `deployer approve`. */
export interface ApproveOptions extends CommonOptions {
  by?: string;
}

/** What the approval step outputs into the execution. */
export interface ApprovalOutput {
  approvedBy: string;
  approvedAt: string;
}

/** Run the command; returns the exit code. */
export async function approveCommand(service: string, options: ApproveOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const svc = services[0]!;
  const pending = await findPendingApproval(
    ctx,
    service,
    `to end the current bake early run \`${commandLine(options, 'promote', service)}\``,
  );
  const output: ApprovalOutput = { approvedBy: by, approvedAt: new Date().toISOString() };
  await answerApproval(ctx, service, pending, () =>
    awsRequest('states:SendTaskSuccess', () =>
      ctx.clients.stepFunctions.send(new SendTaskSuccessCommand({ taskToken: pending.approval.token, output: JSON.stringify(output) })),
    ),
  );
  io.stdout(
    `Approved ${approvalStepLabel(svc, pending.approval)} of ${service}'s deployment ${pending.execution.name} as ${by}; it goes on with the ${isVmService(svc) && svc.strategy === 'canary' ? 'other batches' : 'next step'}.\n` +
      `Follow it: ${commandLine(options, 'status', service)}\n`,
  );
  return EXIT.ok;
}

/**
 * `--approve` / `--reject` of `deployer simulate`, the same for ECS and VM
 * services: how the rehearsal answers approvals.
 */
import type { ApprovalPolicy } from '../../simulator/rehearsal.ts';
import { UsageError } from './exit-codes.ts';

/**
 * The answer the flags ask for (approve unless `--reject`). A usage error
 * when both are given, or `--reject` for a service without an approval:
 * `noApproval` says what it lacks and how to add one.
 */
export function approvalFlags(options: { approve?: boolean; reject?: boolean }, hasApproval: boolean, noApproval: string): ApprovalPolicy {
  if (options.approve === true && options.reject === true) throw new UsageError('--approve and --reject: give one of them');
  if (options.reject === true && !hasApproval) throw new UsageError(`--reject: ${noApproval}, or leave --reject out`);
  return { answer: options.reject === true ? 'reject' : 'approve', by: 'deployer simulate' };
}

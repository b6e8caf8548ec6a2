/**
 * Is a deployment of the service running, and where does it wait? The lock
 * item names its holder; only a holder Step Functions reports as RUNNING is
 * a running deployment (a stopped or timed-out holder whose clean-up was
 * lost leaves a stale lock that the next deployment takes over).
 */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { isVmService, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import type { PendingApproval } from '../../../lambdas/shared/operator-requests.ts';
import { restoreRequestFields } from '../../../lambdas/shared/restore.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import { readLock, type LockItem } from './lock-item.ts';
import type { OperatorContext } from './operator-context.ts';

/** The running execution that holds a service's lock. */
export interface RunningExecution {
  executionArn: string;
  name: string;
  /** ISO-8601. */
  startedAt: string;
  /** From the execution input, when it says. */
  startedBy?: string;
  reason?: string;
  /**
   * Set when this is a restore run: the watcher started it, after a
   * deployment ended without its clean-up (a stop, `deployer rollback`),
   * to put back what that deployment changed.
   */
  restoreOf?: RestoreOf;
}

/** The fields of a restore run's input (`{"restore": …}`) the CLI shows; other fields may come and go. */
const RestoreOfSchema = z.object({ executionArn: restoreRequestFields.executionArn, name: restoreRequestFields.name, reason: restoreRequestFields.reason });

/** The deployment a restore run puts back: its execution, name, and why it ended. */
export type RestoreOf = z.output<typeof RestoreOfSchema>;

/** What a service is doing, as far as operators can act on it. */
export type ServiceSituation =
  | { kind: 'idle'; service: string }
  | {
      /** The lock names a holder that is not running (ABORTED, TIMED_OUT... or `GONE` when Step Functions no longer knows it). */
      kind: 'stale';
      service: string;
      holder: string;
      holderStatus: string;
    }
  | {
      kind: 'running';
      service: string;
      lock: LockItem;
      execution: RunningExecution;
      /** The approval the execution waits for, when it does. */
      approval?: PendingApproval;
    };

/** The service situation of kind `K`. */
export type SituationOf<K extends ServiceSituation['kind']> = Extract<ServiceSituation, { kind: K }>;

const ExecutionInputSchema = z.object({
  startedBy: z.string().optional(),
  reason: z.string().optional(),
  restore: RestoreOfSchema.optional(),
});

/** The name of an execution from its ARN (`...:execution:STATE_MACHINE:NAME`). */
export function executionNameOf(executionArn: string): string {
  return executionArn.slice(executionArn.lastIndexOf(':') + 1);
}

function executionInput(text: string | undefined): z.output<typeof ExecutionInputSchema> {
  if (text === undefined) return {};
  try {
    const parsed = ExecutionInputSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Read the lock of `service` and describe its holder. */
export async function findRunningDeployment(ctx: OperatorContext, service: string): Promise<ServiceSituation> {
  const lock = await readLock(ctx, service);
  const holder = lock?.holder;
  if (lock === undefined || holder === undefined) return { kind: 'idle', service };
  let out: DescribeExecutionCommandOutput;
  try {
    out = await awsRequest('states:DescribeExecution', () =>
      ctx.clients.stepFunctions.send(new DescribeExecutionCommand({ executionArn: holder })),
    );
  } catch (error) {
    if (error instanceof AwsFailure && error.awsErrorName === 'ExecutionDoesNotExist') {
      return { kind: 'stale', service, holder, holderStatus: 'GONE' };
    }
    throw error;
  }
  if (out.status !== 'RUNNING') return { kind: 'stale', service, holder, holderStatus: out.status ?? 'UNKNOWN' };
  const input = executionInput(out.input);
  const execution: RunningExecution = {
    executionArn: holder,
    name: out.name ?? executionNameOf(holder),
    startedAt: out.startDate?.toISOString() ?? lock.heldSince ?? 'unknown',
  };
  if (input.startedBy !== undefined) execution.startedBy = input.startedBy;
  if (input.reason !== undefined) execution.reason = input.reason;
  if (input.restore !== undefined) execution.restoreOf = input.restore;
  const running: SituationOf<'running'> = { kind: 'running', service, lock, execution };
  if (lock.approval !== undefined && lock.approval.executionArn === holder) running.approval = lock.approval;
  return running;
}

/** For a stale lock, ` (its lock still names X, which is ABORTED; …)`; empty otherwise. */
export function staleLockNote(situation: ServiceSituation): string {
  if (situation.kind !== 'stale') return '';
  const status = situation.holderStatus === 'GONE' ? 'no longer known to Step Functions' : situation.holderStatus;
  return ` (its lock still names ${executionNameOf(situation.holder)}, which is ${status}; the next deployment takes the lock over)`;
}

/** `step 3`; `the canary` for a VM canary, whose one approval follows its first batch. */
export function approvalStepLabel(svc: ServiceConfig, approval: Pick<PendingApproval, 'step'>): string {
  return isVmService(svc) && svc.strategy === 'canary' ? 'the canary' : `step ${approval.step + 1}`;
}

/** One clause naming the service and its state, for messages (`svc` names a VM canary's approval for what it is). */
export function describeSituation(situation: ServiceSituation, svc?: ServiceConfig): string {
  switch (situation.kind) {
    case 'idle':
    case 'stale':
      return `${situation.service} is idle: no deployment is running${staleLockNote(situation)}`;
    case 'running':
      if (situation.execution.restoreOf !== undefined) {
        const of = situation.execution.restoreOf;
        return `${situation.service} is being restored by ${situation.execution.name}, which puts back what ran before ${of.name} (${of.reason})`;
      }
      return situation.approval === undefined
        ? `${situation.service} is being deployed by ${situation.execution.name}`
        : `${situation.service} is being deployed by ${situation.execution.name}, which waits for ${approvalClause(situation.approval, svc)}`;
  }
}

/** `an approval at step 3`, or `the approval of the canary`. */
function approvalClause(approval: PendingApproval, svc: ServiceConfig | undefined): string {
  const label = svc === undefined ? `step ${approval.step + 1}` : approvalStepLabel(svc, approval);
  return label === 'the canary' ? 'the approval of the canary' : `an approval at ${label}`;
}

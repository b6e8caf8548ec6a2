/**
 * What `deployer status` reports about one service: idle (with its last
 * deployment) or running (execution, state, progress or VM batch, verdict,
 * traffic split, pending approval). Plain data: printed as text or as JSON.
 */
import { isVmService, type ServiceConfig, type Strategy } from '../../../lambdas/shared/config.ts';
import type { Progress } from '../../../lambdas/shared/operator-requests.ts';
import { readExecutionProgress, type BatchSeen, type HostCounts } from './execution-progress.ts';
import { commandLine } from './follow-up.ts';
import { readLastDeployment, type LastDeployment } from './last-deployment.ts';
import { listenerOf, readListenerTraffic, targetGroupLabels, type ListenerTraffic } from './listener-traffic.ts';
import type { OperatorContext } from './operator-context.ts';
import { approvalStepLabel, findRunningDeployment, type RestoreOf, type SituationOf } from './running-deployment.ts';

/** A service with no running deployment. */
export interface IdleServiceStatus {
  service: string;
  strategy: Strategy;
  state: 'idle';
  /** The lock still names an execution that is not running (the next deployment takes it over). */
  staleLock?: { executionArn: string; executionStatus: string };
  /** Newest history item; null when the service was never deployed. */
  lastDeployment: LastDeployment | null;
}

/** A pending approval, with the commands that answer it (the task token is not shown). */
export interface ApprovalStatus {
  /** Index of the approval step in the deployment's steps. */
  step: number;
  /** Where it waits: `step 3`, or `the canary` (a VM canary). */
  at: string;
  requestedAt: string;
  timeoutAt: string;
  approve: string;
  reject: string;
}

/** A service being deployed, or restored after a stopped deployment. */
export interface RunningServiceStatus {
  service: string;
  /** What it deploys: an image (ECS) or a release on hosts (VM). */
  kind: 'ecs' | 'vm';
  strategy: Strategy;
  /** `restoring`: a restore run puts back what a stopped deployment changed. */
  state: 'running' | 'waiting-for-approval' | 'restoring';
  execution: {
    executionArn: string;
    name: string;
    consoleUrl: string;
    startedAt: string;
    startedBy?: string;
    reason?: string;
  };
  /** For a restore run: the deployment whose changes it puts back. */
  restoring?: RestoreOf;
  image?: string;
  /** The state entered last. */
  currentState?: { name: string; enteredAt: string };
  progress?: Progress;
  /** How many steps the deployment has (canary, blue-green). */
  steps?: number;
  /** VM deployments: the batch being deployed, and its hosts. */
  batch?: BatchSeen;
  /** VM deployments: the hosts' return to their releases, during a rollback. */
  hostRollback?: HostCounts;
  /** The last verification verdict. */
  verdict?: string;
  traffic?: ListenerTraffic;
  approval?: ApprovalStatus;
  /** A `deployer promote` the deployment has not acted on yet. */
  promoteRequested?: { requestedAt: string; requestedBy: string };
}

/** Status of one service. */
export type ServiceStatus = IdleServiceStatus | RunningServiceStatus;

/** The execution in the Step Functions console of its region. */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? '';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** How many traffic steps the config gives the service's deployments (none for rolling, nor for VM canaries, which go by batches). */
export function configuredSteps(svc: ServiceConfig): number | undefined {
  if (isVmService(svc)) return svc.strategy === 'blue-green' ? svc.steps.length : undefined;
  return svc.strategy === 'rolling' ? undefined : svc.steps.length;
}

async function idleStatus(
  ctx: OperatorContext,
  svc: ServiceConfig,
  situation: SituationOf<'idle'> | SituationOf<'stale'>,
): Promise<IdleServiceStatus> {
  const status: IdleServiceStatus = { service: svc.name, strategy: svc.strategy, state: 'idle', lastDeployment: null };
  if (situation.kind === 'stale') status.staleLock = { executionArn: situation.holder, executionStatus: situation.holderStatus };
  status.lastDeployment = await readLastDeployment(ctx, svc.name);
  return status;
}

async function runningStatus(ctx: OperatorContext, svc: ServiceConfig, situation: SituationOf<'running'>): Promise<RunningServiceStatus> {
  const { execution, approval, lock } = situation;
  const seen = await readExecutionProgress(ctx, execution.executionArn);
  const status: RunningServiceStatus = {
    service: svc.name,
    kind: isVmService(svc) ? 'vm' : 'ecs',
    strategy: svc.strategy,
    state: execution.restoreOf !== undefined ? 'restoring' : approval === undefined ? 'running' : 'waiting-for-approval',
    execution: {
      executionArn: execution.executionArn,
      name: execution.name,
      consoleUrl: executionConsoleUrl(execution.executionArn),
      startedAt: execution.startedAt,
    },
  };
  const startedBy = seen.deployment?.startedBy ?? execution.startedBy;
  const reason = seen.deployment?.reason ?? execution.reason;
  if (startedBy !== undefined) status.execution.startedBy = startedBy;
  if (reason !== undefined) status.execution.reason = reason;
  if (execution.restoreOf !== undefined) status.restoring = execution.restoreOf;
  if (lock.holderImage !== undefined) status.image = lock.holderImage;
  if (seen.state !== undefined) status.currentState = seen.state;
  if (seen.progress !== undefined) status.progress = seen.progress;
  if (seen.batch !== undefined) status.batch = seen.batch;
  if (seen.hostRollback !== undefined) status.hostRollback = seen.hostRollback;
  const steps = seen.deployment?.steps?.length ?? configuredSteps(svc);
  if (steps !== undefined && steps > 0) status.steps = steps;
  if (seen.verdict !== undefined) status.verdict = seen.verdict;
  const listener = seen.deployment?.loadBalancer?.listenerArn ?? listenerOf(svc);
  if (listener !== undefined) status.traffic = await readListenerTraffic(ctx, listener, targetGroupLabels(svc));
  if (approval !== undefined) {
    status.approval = {
      step: approval.step,
      at: approvalStepLabel(svc, approval),
      requestedAt: approval.requestedAt,
      timeoutAt: approval.timeoutAt,
      approve: commandLine(ctx.options, 'approve', svc.name),
      reject: commandLine(ctx.options, 'reject', svc.name, '--reason', 'TEXT'),
    };
  }
  if (lock.promote !== undefined && lock.promote.executionArn === execution.executionArn) {
    status.promoteRequested = { requestedAt: lock.promote.requestedAt, requestedBy: lock.promote.requestedBy };
  }
  return status;
}

/** Read the status of `svc`. */
export async function serviceStatus(ctx: OperatorContext, svc: ServiceConfig): Promise<ServiceStatus> {
  const situation = await findRunningDeployment(ctx, svc.name);
  return situation.kind === 'running' ? runningStatus(ctx, svc, situation) : idleStatus(ctx, svc, situation);
}

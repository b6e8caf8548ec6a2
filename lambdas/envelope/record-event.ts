/**
 * RecordEvent: write the deployment's history item and announce the phase
 * on EventBridge (`source: ecs-deployer`, `detail-type: Deployment <Phase>`);
 * an EventBridge rule forwards these to the SNS notification topic. Returns
 * the outcome the final Fail state reports.
 *
 * The start also stores the deployment and its snapshot with the history:
 * that is what the watcher's restore run reads if the execution is stopped.
 */
import { AnyDeploymentSchema, type AnyDeployment } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { now, nowIso } from '../shared/clock.ts';
import {
  CaughtErrorSchema,
  SnapshotSchema,
  type ServiceState,
  type Snapshot,
} from '../shared/deployment.ts';
import { describeFailure } from '../shared/failure.ts';
import { createHandler } from '../shared/handler.ts';
import { writeHistory, type DeploymentStatus } from '../shared/history.ts';
import { announceOutcome } from '../shared/lifecycle-events.ts';
import { logger } from '../shared/logger.ts';
import { RestoreRequestSchema } from '../shared/restore.ts';
import { snapshotSummary } from '../shared/snapshot-summary.ts';
import { shortTaskDefinition } from '../shared/task-definition-name.ts';

const PHASES = ['STARTED', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED', 'RESTORED', 'RESTORE_FAILED'] as const;
type Phase = (typeof PHASES)[number];

const EventSchema = z.object({
  phase: z.enum(PHASES),
  deployment: AnyDeploymentSchema,
  snapshot: z.optional(SnapshotSchema),
  baseline: z.optional(z.unknown()),
  /** What now serves: the ECS revision, or the release VM hosts run. */
  target: z.optional(z.union([z.object({ taskDefinitionArn: z.string() }), z.object({ release: z.string(), hostCount: z.number().check(z.int()) })])),
  failure: z.optional(CaughtErrorSchema),
  rollbackFailure: z.optional(CaughtErrorSchema),
  lock: z.optional(z.object({ reason: z.optional(z.string()) })),
  restore: z.optional(RestoreRequestSchema),
});
type RecordInput = z.output<typeof EventSchema>;

export interface Outcome {
  status: DeploymentStatus;
  /** Error name for the final Fail state. */
  error?: string;
  /** Sentence for the final Fail state, the history and the notification. */
  cause: string;
}

/** The service a strategy deploys to, as it was: rolling and canary's primary, blue-green's live colour. */
function servingBefore(snapshot: Snapshot | undefined): ServiceState | undefined {
  return snapshot?.services.primary ?? snapshot?.services.live;
}

/** The error a restored execution ended with, by its status. */
export function restoredErrorName(status: string | undefined): string {
  if (status === 'TIMED_OUT') return 'States.Timeout';
  if (status === 'FAILED') return 'ExecutionFailed';
  return 'ExecutionAborted';
}

/** What happened, in one sentence per phase. */
export function outcomeOf(input: RecordInput): Outcome {
  const { phase, deployment, snapshot, target, failure, rollbackFailure, lock, restore } = input;
  const name = deployment.service;
  // A VM deployment's snapshot is per host, in the ledger: its rollback returns each changed host to its own release.
  const restored =
    deployment.kind === 'vm'
      ? 'every host it changed back on its previous release'
      : snapshot !== undefined
        ? snapshotSummary(snapshot)
        : 'its previous state';
  switch (phase) {
    case 'STARTED':
      return {
        status: 'IN_PROGRESS',
        cause:
          deployment.kind === 'vm'
            ? `deploying ${deployment.imageTag} (${deployment.image}) to ${name} (vm ${deployment.strategy})`
            : `deploying ${deployment.image} to ${name} (${deployment.strategy}; was ${servingBefore(snapshot)?.image ?? '?'})`,
      };
    case 'SUCCEEDED':
      return {
        status: 'SUCCEEDED',
        cause:
          target !== undefined && 'release' in target
            ? `${name} runs ${target.release} on ${target.hostCount} host(s), verified`
            : `${name} runs ${target !== undefined ? shortTaskDefinition(target.taskDefinitionArn) : deployment.image}, verified`,
      };
    case 'ROLLED_BACK':
      return {
        status: 'ROLLED_BACK',
        error: failure?.Error ?? 'DeploymentFailed',
        cause: `rolled back ${name} (${restored}): ${describeFailure(failure)}`,
      };
    case 'SUPERSEDED':
      return { status: 'SUPERSEDED', error: 'Superseded', cause: lock?.reason ?? 'a newer deployment replaced this one' };
    case 'FAILED':
      if (rollbackFailure !== undefined) {
        return {
          status: 'FAILED',
          error: 'RollbackFailed',
          cause: `rollback of ${name} to ${restored} failed (${describeFailure(rollbackFailure)}) after ${describeFailure(failure)}; the service needs attention`,
        };
      }
      return {
        status: 'FAILED',
        error: failure?.Error ?? 'DeploymentFailed',
        cause: `${name} was not changed: ${describeFailure(failure)}`,
      };
    case 'RESTORED':
      return {
        status: restore?.status ?? 'ABORTED',
        error: restoredErrorName(restore?.status),
        cause: `${restore?.reason ?? 'execution ended'}; restored ${name} (${restored})`,
      };
    case 'RESTORE_FAILED':
      return {
        status: 'FAILED',
        error: 'RollbackFailed',
        cause: `${restore?.reason ?? 'execution ended'}; restoring ${name} to ${restored} failed (${describeFailure(rollbackFailure)}); the service needs attention`,
      };
  }
}


function historyFields(deployment: AnyDeployment, input: RecordInput, outcome: Outcome): Record<string, string | number | boolean | undefined> {
  const { phase, snapshot } = input;
  const fields: Record<string, string | number | boolean | undefined> = {
    service: deployment.service,
    status: outcome.status,
    strategy: deployment.strategy,
    image: deployment.image,
    imageTag: deployment.imageTag,
    outsideTagPattern: deployment.kind === 'ecs' ? deployment.outsideTagPattern : undefined,
    previousImage: servingBefore(snapshot)?.image,
    previousTaskDefinition: servingBefore(snapshot)?.taskDefinitionArn,
    newTaskDefinition: input.target !== undefined && 'taskDefinitionArn' in input.target ? input.target.taskDefinitionArn : undefined,
    startedBy: deployment.startedBy,
    requestedAt: deployment.requestedAt,
    executionArn: deployment.executionId,
    startedAt: deployment.executionStartTime,
    endedAt: phase === 'STARTED' ? undefined : nowIso(),
    reason: outcome.cause,
    error: outcome.error,
  };
  if (phase === 'STARTED') {
    // What a restore run needs if this execution is stopped before it ends.
    fields.deploymentJson = JSON.stringify(deployment);
    fields.snapshotJson = JSON.stringify(snapshot);
    if (input.baseline !== undefined) fields.baselineJson = JSON.stringify(input.baseline);
  }
  if (phase === 'RESTORED' || phase === 'RESTORE_FAILED') {
    fields.restore = phase === 'RESTORED' ? 'SUCCEEDED' : 'FAILED';
    fields.restoredAt = nowIso();
  }
  return fields;
}

export const handler = createHandler(EventSchema, async function record(input): Promise<Outcome> {
  const { deployment, phase } = input;
  const outcome = outcomeOf(input);
  await writeHistory(deployment, historyFields(deployment, input, outcome));
  const started = Date.parse(deployment.executionStartTime);
  await announceOutcome({
    service: deployment.service,
    strategy: deployment.strategy,
    status: outcome.status,
    durationSeconds: phase === 'STARTED' || Number.isNaN(started) ? undefined : Math.round((now() - started) / 1000),
    image: deployment.image,
    imageTag: deployment.imageTag,
    outsideTagPattern: deployment.kind === 'ecs' ? deployment.outsideTagPattern : undefined,
    previousImage: servingBefore(input.snapshot)?.image,
    startedBy: deployment.startedBy,
    executionArn: deployment.executionId,
    reason: outcome.cause,
    error: outcome.error,
  });
  logger.info('deployment recorded', { serviceName: deployment.service, phase, ...outcome });
  return outcome;
});

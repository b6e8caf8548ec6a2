/**
 * RecordEvent: write the deployment's history item and announce the phase
 * on EventBridge (`source: ecs-deployer`, `detail-type: Deployment <Phase>`);
 * an EventBridge rule forwards these to the SNS notification topic. Returns
 * the outcome the final Fail state reports.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { ENV, EVENT_SOURCE } from './registry.ts';
import { awsCall } from './shared/aws-call.ts';
import { lazyClient } from './shared/clients.ts';
import { nowIso } from './shared/clock.ts';
import { CaughtErrorSchema, DeploymentSchema, ServiceStateSchema, type Deployment } from './shared/deployment.ts';
import { shortTaskDefinition } from './shared/task-definition-name.ts';
import { requiredEnv } from './shared/env.ts';
import { TransientAwsError } from './shared/errors.ts';
import { describeFailure } from './shared/failure.ts';
import { createHandler } from './shared/handler.ts';
import { writeHistory, type DeploymentStatus } from './shared/history.ts';
import { logger } from './shared/logger.ts';

const events = lazyClient(() => new EventBridgeClient({}));

const PHASES = ['STARTED', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED'] as const;
type Phase = (typeof PHASES)[number];

const EventSchema = z.object({
  phase: z.enum(PHASES),
  deployment: DeploymentSchema,
  current: ServiceStateSchema.optional(),
  target: z.object({ taskDefinitionArn: z.string() }).optional(),
  failure: CaughtErrorSchema.optional(),
  rollbackFailure: CaughtErrorSchema.optional(),
  lock: z.object({ reason: z.string().optional() }).optional(),
});
type RecordInput = z.output<typeof EventSchema>;

const STATUS: Record<Phase, DeploymentStatus> = {
  STARTED: 'IN_PROGRESS',
  SUCCEEDED: 'SUCCEEDED',
  ROLLED_BACK: 'ROLLED_BACK',
  FAILED: 'FAILED',
  SUPERSEDED: 'SUPERSEDED',
};

const DETAIL_TYPE: Record<Phase, string> = {
  STARTED: 'Deployment Started',
  SUCCEEDED: 'Deployment Succeeded',
  ROLLED_BACK: 'Deployment Rolled Back',
  FAILED: 'Deployment Failed',
  SUPERSEDED: 'Deployment Superseded',
};

export interface Outcome {
  status: DeploymentStatus;
  /** Error name for the final Fail state. */
  error?: string;
  /** Sentence for the final Fail state and the history. */
  cause: string;
}

/** What happened, in one sentence per phase. */
export function outcomeOf(input: RecordInput): Outcome {
  const { phase, deployment, current, target, failure, rollbackFailure, lock } = input;
  const name = deployment.service;
  const previous = current !== undefined ? shortTaskDefinition(current.taskDefinitionArn) : 'the previous revision';
  switch (phase) {
    case 'STARTED':
      return { status: 'IN_PROGRESS', cause: `deploying ${deployment.image} to ${name} (was ${current?.image ?? '?'})` };
    case 'SUCCEEDED':
      return {
        status: 'SUCCEEDED',
        cause: `${name} runs ${target !== undefined ? shortTaskDefinition(target.taskDefinitionArn) : deployment.image}, verified for ${deployment.bakeSeconds}s`,
      };
    case 'ROLLED_BACK':
      return {
        status: 'ROLLED_BACK',
        error: failure?.Error ?? 'DeploymentFailed',
        cause: `rolled back ${name} to ${previous}: ${describeFailure(failure)}`,
      };
    case 'SUPERSEDED':
      return { status: 'SUPERSEDED', error: 'Superseded', cause: lock?.reason ?? 'a newer deployment replaced this one' };
    case 'FAILED':
      if (rollbackFailure !== undefined) {
        return {
          status: 'FAILED',
          error: 'RollbackFailed',
          cause: `rollback of ${name} to ${previous} failed (${describeFailure(rollbackFailure)}) after ${describeFailure(failure)}; the service needs attention`,
        };
      }
      return {
        status: 'FAILED',
        error: failure?.Error ?? 'DeploymentFailed',
        cause: `${name} was not changed: ${describeFailure(failure)}`,
      };
  }
}

async function announce(detailType: string, detail: Record<string, unknown>): Promise<void> {
  const result = await awsCall('events:PutEvents', () =>
    events().send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            EventBusName: requiredEnv(ENV.eventBus),
          },
        ],
      }),
    ),
  );
  if ((result.FailedEntryCount ?? 0) > 0) {
    const entry = result.Entries?.[0];
    throw new TransientAwsError(`events:PutEvents refused the event: ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`);
  }
}

function historyFields(deployment: Deployment, input: RecordInput, outcome: Outcome): Record<string, string | number | undefined> {
  const final = input.phase !== 'STARTED';
  return {
    service: deployment.service,
    status: outcome.status,
    image: deployment.image,
    imageTag: deployment.imageTag,
    previousImage: input.current?.image,
    previousTaskDefinition: input.current?.taskDefinitionArn,
    newTaskDefinition: input.target?.taskDefinitionArn,
    startedBy: deployment.startedBy,
    requestedAt: deployment.requestedAt,
    executionArn: deployment.executionId,
    startedAt: deployment.executionStartTime,
    endedAt: final ? nowIso() : undefined,
    reason: outcome.cause,
    error: outcome.error,
  };
}

export const handler = createHandler(EventSchema, async function record(input): Promise<Outcome> {
  const { deployment, phase } = input;
  const outcome = outcomeOf(input);
  await writeHistory(deployment, historyFields(deployment, input, outcome));
  await announce(DETAIL_TYPE[phase], {
    service: deployment.service,
    status: outcome.status,
    image: deployment.image,
    imageTag: deployment.imageTag,
    previousImage: input.current?.image,
    startedBy: deployment.startedBy,
    executionArn: deployment.executionId,
    reason: outcome.cause,
    error: outcome.error,
  });
  logger.info('deployment recorded', { serviceName: deployment.service, phase, ...outcome });
  return outcome;
});

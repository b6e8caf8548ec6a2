/**
 * Lifecycle events of deployments on EventBridge (`source: ecs-deployer`,
 * `detail-type: Deployment <Phase>`): a rule of the stack forwards them to
 * the SNS notification topic, and teams can add their own rules.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ENV, EVENT_SOURCE } from '../registry.ts';
import { awsCall } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { emitDeploymentMetric } from './deployment-metrics.ts';
import { requiredEnv } from './env.ts';
import { AwsCallFailed, TransientAwsError } from './errors.ts';
import type { DeploymentStatus } from './history.ts';

const events = lazyClient(() => new EventBridgeClient({}));

/** The detail-type of the event announcing each status. */
export const DETAIL_TYPE: Record<DeploymentStatus, string> = {
  IN_PROGRESS: 'Deployment Started',
  SUCCEEDED: 'Deployment Succeeded',
  ROLLED_BACK: 'Deployment Rolled Back',
  FAILED: 'Deployment Failed',
  SUPERSEDED: 'Deployment Superseded',
  ABORTED: 'Deployment Aborted',
  TIMED_OUT: 'Deployment Timed Out',
};

/** PutEvents entry errors that a retry may fix; the others (MalformedDetail, size...) never will. */
const TRANSIENT_ENTRY_ERRORS = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

/** Put one lifecycle event on the deployer's bus. */
export async function announce(detailType: string, detail: Record<string, unknown>): Promise<void> {
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
    const message = `events:PutEvents refused the event: ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`.trim();
    if (TRANSIENT_ENTRY_ERRORS.has(entry?.ErrorCode ?? '')) throw new TransientAwsError(message);
    throw new AwsCallFailed(message);
  }
}


/** What every status announcement carries. */
export interface OutcomeDetail extends Record<string, unknown> {
  service: string;
  status: DeploymentStatus;
  /** Seconds since the execution started, for a final status. */
  durationSeconds?: number;
}

/**
 * Announce a deployment's status on the bus and count it in the deployment
 * metrics (the dashboard and the deployer's alarms read those).
 */
export async function announceOutcome(detail: OutcomeDetail): Promise<void> {
  emitDeploymentMetric({ service: detail.service, status: detail.status, durationSeconds: detail.durationSeconds });
  await announce(DETAIL_TYPE[detail.status], detail);
}

/**
 * RequestApproval: an approval step. Invoked with `.waitForTaskToken`, it
 * stores the task token on the service's lock item (where `deployer
 * approve|reject` find it) and announces the request, with the commands
 * that answer it, on EventBridge (and so by SNS). The execution then waits
 * until someone answers or the step's timeout passes, which rejects.
 */
import { AnyDeploymentSchema, type AnyDeployment } from '../shared/any-deployment.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { now } from '../shared/clock.ts';
import { LOCK_SORT_KEY, servicePartitionKey } from '../shared/deployment.ts';
import { formatDuration } from '../shared/duration.ts';
import { createHandler } from '../shared/handler.ts';
import { announce } from '../shared/lifecycle-events.ts';
import { logger } from '../shared/logger.ts';
import { APPROVAL_ATTRIBUTE, ProgressSchema, type PendingApproval, type Progress } from '../shared/operator-requests.ts';
import { documentClient, tableName } from '../shared/table.ts';

const EventSchema = z.object({
  deployment: AnyDeploymentSchema,
  progress: ProgressSchema,
  token: z.string().check(z.minLength(1)),
  timeoutSeconds: z.number().check(z.int(), z.gte(1)),
});

/** What the notification tells people to run. */
export function approvalInstructions(service: string): string {
  return `approve with \`deployer approve ${service}\`, or reject (and roll back) with \`deployer reject ${service} --reason "..."\``;
}

/**
 * Where the deployment waits, for the notification: a traffic step, or a
 * VM canary's first batch (it has no steps: its approval follows the canary).
 */
function where(deployment: AnyDeployment, progress: Progress): string {
  if (deployment.kind === 'vm' && progress.phase === 'canary') return `of the canary (${progress.weight}% of the hosts on the new release)`;
  const what = deployment.kind === 'vm' ? 'release' : 'revision';
  return `at step ${progress.step + 1} of ${deployment.steps.length} (${progress.weight}% on the new ${what} so far)`;
}

export const handler = createHandler(EventSchema, async function requestApproval({ deployment, progress, token, timeoutSeconds }) {
  const at = now();
  const approval: PendingApproval = {
    token,
    executionArn: deployment.executionId,
    step: progress.step,
    requestedAt: new Date(at).toISOString(),
    timeoutAt: new Date(at + timeoutSeconds * 1000).toISOString(),
  };
  await awsCall('dynamodb:UpdateItem (approval)', () =>
    documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: servicePartitionKey(deployment.service), sk: LOCK_SORT_KEY },
        UpdateExpression: 'SET #a = :approval',
        ConditionExpression: 'holder = :me',
        ExpressionAttributeNames: { '#a': APPROVAL_ATTRIBUTE },
        ExpressionAttributeValues: { ':approval': approval, ':me': deployment.executionId },
      }),
    ),
  );
  const reason = `waiting for approval ${where(deployment, progress)}: ${approvalInstructions(deployment.service)}; rejected automatically after ${formatDuration(timeoutSeconds)}`;
  await announce('Deployment Approval Requested', {
    service: deployment.service,
    strategy: deployment.strategy,
    status: 'IN_PROGRESS',
    image: deployment.image,
    executionArn: deployment.executionId,
    step: progress.step,
    timeoutAt: approval.timeoutAt,
    reason,
  });
  logger.info('approval requested', { serviceName: deployment.service, step: progress.step, timeoutAt: approval.timeoutAt });
  return { requested: true };
});

/**
 * The newest deployment in a service's history (`sk = DEPLOY#<start>#<name>`),
 * shown by `deployer status` for a service that is idle.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { servicePartitionKey } from '../../../lambdas/shared/deployment.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import type { OperatorContext } from './operator-context.ts';

const LastDeploymentSchema = z.object({
  status: z.string(),
  image: z.string().optional(),
  imageTag: z.string().optional(),
  /** Started by hand with a tag outside the service's tagPattern. */
  outsideTagPattern: z.boolean().optional(),
  startedBy: z.string().optional(),
  reason: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
});

/** The fields of a history item that `status` shows. */
export type LastDeployment = z.output<typeof LastDeploymentSchema>;

/** The newest history item of `service`, or null when it was never deployed (or the item is not readable). */
export async function readLastDeployment(ctx: OperatorContext, service: string): Promise<LastDeployment | null> {
  const out = await awsRequest('dynamodb:Query', () =>
    ctx.clients.table.send(
      new QueryCommand({
        TableName: ctx.stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
        ExpressionAttributeValues: { ':pk': servicePartitionKey(service), ':deploy': 'DEPLOY#' },
        ScanIndexForward: false,
        Limit: 1,
      }),
    ),
  );
  const parsed = LastDeploymentSchema.safeParse(out.Items?.[0]);
  return parsed.success ? parsed.data : null;
}

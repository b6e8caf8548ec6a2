/**
 * The lock item of a service (`pk = SERVICE#<name>, sk = LOCK`) as the
 * operator commands read it: who holds the lock, and what operators and the
 * running deployment said to each other (a pending approval, a promote
 * request).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { LOCK_SORT_KEY, servicePartitionKey } from '../../../lambdas/shared/deployment.ts';
import { PendingApprovalSchema, PromoteRequestSchema } from '../../../lambdas/shared/operator-requests.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import type { OperatorContext } from './operator-context.ts';

const LockItemSchema = z.object({
  /** ARN of the execution holding the lock. */
  holder: z.string().min(1).optional(),
  holderImage: z.string().optional(),
  heldSince: z.string().optional(),
  approval: z.optional(PendingApprovalSchema),
  promote: z.optional(PromoteRequestSchema),
});

/** The fields of a lock item the CLI uses. */
export type LockItem = z.output<typeof LockItemSchema>;

/** Key of the lock item of `service`. */
export function lockKey(service: string): { pk: string; sk: string } {
  return { pk: servicePartitionKey(service), sk: LOCK_SORT_KEY };
}

/** Read the lock item (strongly consistent); undefined when the service was never deployed. */
export async function readLock(ctx: OperatorContext, service: string): Promise<LockItem | undefined> {
  const out = await awsRequest('dynamodb:GetItem', () =>
    ctx.clients.table.send(new GetCommand({ TableName: ctx.stack.tableName, Key: lockKey(service), ConsistentRead: true })),
  );
  if (out.Item === undefined) return undefined;
  const parsed = LockItemSchema.safeParse(out.Item);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new AwsFailure(
      `the lock item of ${service} in ${ctx.stack.tableName} has unexpected ${fields}: the CLI and the installed stack may be of different versions; update the checkout and run \`npx cdk deploy\``,
    );
  }
  return parsed.data;
}

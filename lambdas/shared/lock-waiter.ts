/**
 * Waiting for a service's lock without polling: the newest waiting
 * deployment leaves a Step Functions task token on the lock item
 * (`waiter`), and whoever releases the lock (the execution itself, a
 * restore run, the watcher) wakes it with SendTaskSuccess. A waiter still
 * re-checks every LOCK_RECHECK_SECONDS (budget.ts) in case a wake-up is lost,
 * so a day of waiting costs a hundred history events, not thousands.
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { awsCall, errorName } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { LOCK_SORT_KEY, servicePartitionKey } from './deployment.ts';
import { documentClient, isConditionFailure, tableName } from './table.ts';

const sfn = lazyClient(() => new SFNClient({}));

/** Lock item attribute holding the newest waiter's task token. */
export const WAITER_ATTRIBUTE = 'waiter';

export { LOCK_RECHECK_SECONDS } from './budget.ts';

export const LockWaiterSchema = z.object({ executionArn: z.string(), token: z.string(), since: z.string() });
export type LockWaiter = z.output<typeof LockWaiterSchema>;

/** The waiter recorded on a lock item (as the document client or a condition failure returns it). */
export function waiterOf(item: Record<string, unknown> | undefined): LockWaiter | undefined {
  const parsed = LockWaiterSchema.safeParse(item?.[WAITER_ATTRIBUTE]);
  return parsed.success ? parsed.data : undefined;
}

/** Wake a waiting deployment so it checks the lock now; a token no longer waiting is fine. */
export async function wakeWaiter(waiter: LockWaiter): Promise<boolean> {
  try {
    await awsCall('states:SendTaskSuccess (wake a waiting deployment)', async () => {
      try {
        await sfn().send(new SendTaskSuccessCommand({ taskToken: waiter.token, output: JSON.stringify({ wokenBy: 'lock released' }) }));
      } catch (error) {
        // It timed out (and re-checks anyway), or its execution ended.
        if (['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(errorName(error))) return;
        throw error;
      }
    });
    return true;
  } catch {
    // The waiter re-checks on its own within LOCK_RECHECK_SECONDS: never fail a release for it.
    return false;
  }
}

/**
 * Leave `token` as the service's newest waiter, if this execution is still
 * the newest asked for and the lock is still held by another; otherwise
 * (the lock was released meanwhile, or a newer deployment came) the caller
 * wakes itself at once. Returns the waiter it replaced, to be woken too.
 */
export async function registerWaiter(
  service: string,
  executionArn: string,
  token: string,
  now: string,
): Promise<{ registered: boolean; previous?: LockWaiter }> {
  const waiter: LockWaiter = { executionArn, token, since: now };
  try {
    const result = await awsCall('dynamodb:UpdateItem (wait for the lock)', () =>
      documentClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: { pk: servicePartitionKey(service), sk: LOCK_SORT_KEY },
          UpdateExpression: 'SET #w = :waiter',
          ConditionExpression: 'latestExecution = :me AND attribute_exists(holder) AND holder <> :me',
          ExpressionAttributeNames: { '#w': WAITER_ATTRIBUTE },
          ExpressionAttributeValues: { ':waiter': waiter, ':me': executionArn },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const previous = waiterOf(result.Attributes);
    return previous !== undefined && previous.executionArn !== executionArn ? { registered: true, previous } : { registered: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { registered: false };
  }
}

/**
 * Deployment history: one item per execution under the service's partition,
 * written as the deployment moves through its phases.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsCall } from './aws-call.ts';
import { historySortKey, servicePartitionKey } from './deployment.ts';
import { documentClient, isConditionFailure, tableName } from './table.ts';

export type DeploymentStatus =
  | 'IN_PROGRESS'
  | 'SUCCEEDED'
  | 'ROLLED_BACK'
  | 'FAILED'
  | 'SUPERSEDED'
  | 'ABORTED'
  | 'TIMED_OUT';

/** Statuses that end a deployment. */
export const FINAL_STATUSES: readonly DeploymentStatus[] = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED', 'ABORTED', 'TIMED_OUT'];

export interface HistoryKey {
  service: string;
  executionStartTime: string;
  executionName: string;
}

/**
 * Set fields of a history item (created if absent). `startedAt` is only
 * written once. With `onlyIfOpen`, an item that already has a final status is
 * left alone (returns false), so a late safety net never overwrites the
 * state machine's own record.
 */
export async function writeHistory(
  key: HistoryKey,
  fields: Record<string, string | number | boolean | undefined>,
  options: { onlyIfOpen?: boolean } = {},
): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, string | number | boolean> = {};
  const sets: string[] = [];
  let i = 0;
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    sets.push(field === 'startedAt' ? `#f${i} = if_not_exists(#f${i}, :v${i})` : `#f${i} = :v${i}`);
    i++;
  }
  const input = {
    TableName: tableName(),
    Key: { pk: servicePartitionKey(key.service), sk: historySortKey(key.executionStartTime, key.executionName) },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  if (options.onlyIfOpen === true) {
    names['#status'] = 'status';
    values[':open'] = 'IN_PROGRESS';
    Object.assign(input, { ConditionExpression: 'attribute_not_exists(#status) OR #status = :open' });
  }
  try {
    await awsCall('dynamodb:UpdateItem (history)', () => documentClient().send(new UpdateCommand(input)));
    return true;
  } catch (error) {
    if (options.onlyIfOpen === true && isConditionFailure((error as { cause?: unknown }).cause)) return false;
    throw error;
  }
}

/** The history item of one execution, as stored (undefined when there is none). */
export async function readHistory(key: HistoryKey): Promise<Record<string, unknown> | undefined> {
  const result = await awsCall('dynamodb:GetItem (history)', () =>
    documentClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: { pk: servicePartitionKey(key.service), sk: historySortKey(key.executionStartTime, key.executionName) },
        ConsistentRead: true,
      }),
    ),
  );
  return result.Item;
}

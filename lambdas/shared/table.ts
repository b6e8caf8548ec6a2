/**
 * The deployer's DynamoDB table: per-service lock items and the deployment
 * history, under one partition per service.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../registry.ts';
import { errorName, sdkErrorOf } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { requiredEnv } from './env.ts';

export const documentClient = lazyClient(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);

/** Name of the table, from the stack. */
export function tableName(): string {
  return requiredEnv(ENV.table);
}

/** True when a conditional write was refused because its condition did not hold (also once wrapped by `awsCall`). */
export function isConditionFailure(error: unknown): boolean {
  return errorName(sdkErrorOf(error)) === 'ConditionalCheckFailedException';
}

/**
 * A DynamoDB attribute as a plain value. The document client does not
 * unmarshall the `Item` of a ConditionalCheckFailedException
 * (aws/aws-sdk-js-v3#6723): its attributes arrive as `{ S: '...' }`.
 */
function plainAttribute(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (entries.length !== 1) return value;
  const [type, inner] = entries[0]!;
  if (type === 'S' && typeof inner === 'string') return inner;
  if (type === 'N' && typeof inner === 'string') return Number(inner);
  if (type === 'BOOL' && typeof inner === 'boolean') return inner;
  if (type === 'NULL' && inner === true) return null;
  return value;
}

/** The item a failed conditional write saw (ReturnValuesOnConditionCheckFailure: ALL_OLD), as plain values. */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  const original = sdkErrorOf(error);
  if (typeof original !== 'object' || original === null || !('Item' in original)) return undefined;
  const item = (original as { Item?: unknown }).Item;
  if (typeof item !== 'object' || item === null) return undefined;
  return Object.fromEntries(Object.entries(item).map(([field, value]) => [field, plainAttribute(value)]));
}

/**
 * The deployer's DynamoDB table: per-service lock items and the deployment
 * history, under one partition per service.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../registry.ts';
import { errorName } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { requiredEnv } from './env.ts';

export const documentClient = lazyClient(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);

/** Name of the table, from the stack. */
export function tableName(): string {
  return requiredEnv(ENV.table);
}

/** True when a conditional write was refused because its condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** The item a failed conditional write saw (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null || !('Item' in error)) return undefined;
  const item = (error as { Item?: unknown }).Item;
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : undefined;
}

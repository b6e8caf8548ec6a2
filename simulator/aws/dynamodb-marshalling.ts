/**
 * What the document client does to values on the way in and out, done with
 * the same library and the caller's own `translateConfig`: an `undefined`
 * attribute without `removeUndefinedValues` fails here as it fails in AWS,
 * and numbers come back wrapped when the client asks for it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue, TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoItem, DynamoValue } from './dynamodb-values.ts';

/** A record of plain values, as handlers pass and receive them. */
export type PlainRecord = Record<string, unknown>;

/** Check that an unmarshalled value is one the engine knows, and type it. */
export function toDynamoValue(value: unknown): DynamoValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toDynamoValue);
  if (value instanceof Set) return value as Set<string> | Set<number> | Set<Uint8Array>;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDynamoValue(v)]));
  }
  throw new Error(`unexpected attribute value of type ${typeof value}`);
}

/** Marshall a record like the document client (throws its errors), then normalize it to plain values. */
export function fromClient(record: PlainRecord, config: TranslateConfig | undefined): DynamoItem {
  const marshalled = marshall(record as Record<string, NativeAttributeValue>, {
    ...config?.marshallOptions,
    convertTopLevelContainer: false,
  });
  const plain = unmarshall(marshalled);
  return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, toDynamoValue(v)]));
}

/** The AttributeValue map DynamoDB sends for an item. */
export function toAttributeValues(item: DynamoItem): Record<string, AttributeValue> {
  return marshall(item as Record<string, NativeAttributeValue>, { convertTopLevelContainer: false });
}

/** An item as the document client returns it, with the caller's unmarshall options. */
export function toClient(item: DynamoItem, config: TranslateConfig | undefined): PlainRecord {
  return unmarshall(toAttributeValues(item), config?.unmarshallOptions);
}

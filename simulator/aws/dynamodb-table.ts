/**
 * One simulated DynamoDB table: its key schema, its items keyed by primary
 * key, and the key checks DynamoDB applies to every request.
 */
import { invalid } from './dynamodb-expression-error.ts';
import type { KeySchema } from './dynamodb-expressions.ts';
import { compareValues, typeOf, type DynamoItem, type DynamoValue } from './dynamodb-values.ts';

/** A table's key attributes and their types (S, N or B). */
export interface TableKeys extends KeySchema {
  partitionKeyType?: 'S' | 'N' | 'B';
  sortKeyType?: 'S' | 'N' | 'B';
}

function keyPart(value: DynamoValue | undefined): string {
  if (value instanceof Uint8Array) return `B:${Buffer.from(value).toString('base64')}`;
  return `${value === undefined ? '' : typeOf(value)}:${String(value)}`;
}

/** An in-memory table. */
export class SimTable {
  private readonly items = new Map<string, DynamoItem>();

  public constructor(
    public readonly name: string,
    public readonly keys: TableKeys,
  ) {}

  /** Key attribute names, partition key first. */
  public keyNames(): string[] {
    return this.keys.sortKey === undefined ? [this.keys.partitionKey] : [this.keys.partitionKey, this.keys.sortKey];
  }

  /** Refuse a `Key` parameter that is not exactly the table's key, with the right types. */
  public checkKey(key: DynamoItem): void {
    const names = Object.keys(key);
    const expected = this.keyNames();
    if (names.length !== expected.length || !expected.every((n) => names.includes(n))) {
      throw invalid('The provided key element does not match the schema');
    }
    this.checkKeyValues(key, 'The provided key element does not match the schema');
  }

  /** Refuse an item (PutItem) without the key attributes or with wrongly typed ones. */
  public checkItem(item: DynamoItem): void {
    for (const name of this.keyNames()) {
      if (item[name] === undefined) {
        throw invalid(`One or more parameter values were invalid: Missing the key ${name} in the item`);
      }
    }
    this.checkKeyValues(item);
    // DynamoDB's 400 KB limit, measured roughly as the JSON text (close for the small items the deployer writes).
    if (JSON.stringify(item, (_k, v: unknown) => (v instanceof Set ? [...v] : v)).length > 400 * 1024) {
      throw invalid('Item size has exceeded the maximum allowed size');
    }
  }

  /** The key part of an item. */
  public keyOf(item: DynamoItem): DynamoItem {
    return Object.fromEntries(this.keyNames().map((n) => [n, item[n] as DynamoValue]));
  }

  /** The stored item with this key. */
  public get(key: DynamoItem): DynamoItem | undefined {
    return this.items.get(this.id(key));
  }

  /** Store (or replace) an item. */
  public put(item: DynamoItem): void {
    this.items.set(this.id(item), item);
  }

  /** Delete the item with this key. */
  public delete(key: DynamoItem): void {
    this.items.delete(this.id(key));
  }

  /** Every item, ordered by partition key then sort key. */
  public all(): DynamoItem[] {
    return [...this.items.values()].sort((a, b) => this.compareKeys(a, b));
  }

  /** Items of one partition, in sort key order. */
  public partition(value: DynamoValue): DynamoItem[] {
    return this.all().filter((item) => compareValues(item[this.keys.partitionKey], value) === 0);
  }

  /** Order of two items by primary key. */
  public compareKeys(a: DynamoItem, b: DynamoItem): number {
    const byPartition = compareValues(a[this.keys.partitionKey], b[this.keys.partitionKey]) ?? 0;
    if (byPartition !== 0 || this.keys.sortKey === undefined) return byPartition;
    return compareValues(a[this.keys.sortKey], b[this.keys.sortKey]) ?? 0;
  }

  private id(key: DynamoItem): string {
    return this.keyNames()
      .map((n) => keyPart(key[n]))
      .join('|');
  }

  private checkKeyValues(item: DynamoItem, mismatch?: string): void {
    const types: Array<[string, 'S' | 'N' | 'B']> = [[this.keys.partitionKey, this.keys.partitionKeyType ?? 'S']];
    if (this.keys.sortKey !== undefined) types.push([this.keys.sortKey, this.keys.sortKeyType ?? 'S']);
    for (const [name, expected] of types) {
      const value = item[name] as DynamoValue;
      const actual = typeOf(value);
      if (actual !== expected) {
        throw invalid(
          mismatch ?? `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`,
        );
      }
      if (value === '' || (value instanceof Uint8Array && value.byteLength === 0)) {
        throw invalid(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${actual === 'S' ? 'string' : 'binary'} value. Key: ${name}`,
        );
      }
    }
  }
}

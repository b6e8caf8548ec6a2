/**
 * Item values as the document client sees them (plain JS: strings, numbers,
 * booleans, null, Uint8Array, arrays, objects, Sets), with DynamoDB's typing
 * rules: its comparison order, equality, `size()` and document paths.
 */
import { invalid } from './dynamodb-expression-error.ts';

/** A DynamoDB set: SS, NS or BS. */
export type DynamoSet = Set<string> | Set<number> | Set<Uint8Array>;
/** A DynamoDB map (M), also the shape of an item. */
export interface DynamoMap {
  [name: string]: DynamoValue;
}
/** Any attribute value. */
export type DynamoValue = string | number | boolean | null | Uint8Array | DynamoValue[] | DynamoSet | DynamoMap;
/** An item: a map of attribute names to values. */
export type DynamoItem = DynamoMap;

/** DynamoDB's data type names. */
export type DynamoType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'BS';

/** One step of a document path: a map key or a list index. */
export type PathElement = { kind: 'key'; name: string } | { kind: 'index'; index: number };
/** A document path such as `a.b[2].c`. */
export type Path = PathElement[];

/** `a.b[2]`, for messages. */
export function pathText(path: Path): string {
  return path.map((e, i) => (e.kind === 'index' ? `[${e.index}]` : i === 0 ? e.name : `.${e.name}`)).join('');
}

/** Whether `value` is a map (and not a list, set, binary or null). */
export function isMap(value: DynamoValue | undefined): value is DynamoMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Set) &&
    !(value instanceof Uint8Array)
  );
}

/** The DynamoDB type of a value. */
export function typeOf(value: DynamoValue): DynamoType {
  if (typeof value === 'string') return 'S';
  if (typeof value === 'number') return 'N';
  if (typeof value === 'boolean') return 'BOOL';
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return 'B';
  if (Array.isArray(value)) return 'L';
  if (value instanceof Set) {
    const first: unknown = value.values().next().value;
    if (typeof first === 'number') return 'NS';
    if (first instanceof Uint8Array) return 'BS';
    return 'SS';
  }
  return 'M';
}

/** Strings compare by their UTF-8 bytes in DynamoDB, which differs from JS's UTF-16 order for some characters. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Order of two scalars of the same type (S, N or B), or undefined when
 * DynamoDB would not compare them (different or non-scalar types).
 */
export function compareValues(a: DynamoValue | undefined, b: DynamoValue | undefined): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  return undefined;
}

function setHas(set: DynamoSet, element: string | number | Uint8Array): boolean {
  for (const candidate of set) {
    if (valuesEqual(candidate, element)) return true;
  }
  return false;
}

/** DynamoDB equality: same type and same value (sets regardless of order). */
export function valuesEqual(a: DynamoValue | undefined, b: DynamoValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'S':
    case 'N':
    case 'BOOL':
    case 'NULL':
      return a === b;
    case 'B':
      return Buffer.compare(a as Uint8Array, b as Uint8Array) === 0;
    case 'L': {
      const left = a as DynamoValue[];
      const right = b as DynamoValue[];
      return left.length === right.length && left.every((v, i) => valuesEqual(v, right[i]));
    }
    case 'M': {
      const left = a as DynamoMap;
      const right = b as DynamoMap;
      const keys = Object.keys(left);
      return keys.length === Object.keys(right).length && keys.every((k) => valuesEqual(left[k], right[k]));
    }
    default: {
      const left = a as DynamoSet;
      const right = b as DynamoSet;
      return left.size === right.size && [...left].every((v) => setHas(right, v));
    }
  }
}

/** `contains(a, b)`: substring of a string, element of a set or list. */
export function containsValue(haystack: DynamoValue | undefined, needle: DynamoValue | undefined): boolean {
  if (haystack === undefined || needle === undefined) return false;
  if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
  if (haystack instanceof Uint8Array) {
    return needle instanceof Uint8Array && Buffer.from(haystack).includes(Buffer.from(needle));
  }
  if (Array.isArray(haystack)) return haystack.some((element) => valuesEqual(element, needle));
  if (haystack instanceof Set) {
    return (
      (typeof needle === 'string' || typeof needle === 'number' || needle instanceof Uint8Array) &&
      setHas(haystack, needle)
    );
  }
  return false;
}

/** `size(a)`: length of a string or binary, number of elements of a list, map or set. */
export function sizeOf(value: DynamoValue | undefined): number | undefined {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Set) return value.size;
  if (isMap(value)) return Object.keys(value).length;
  return undefined;
}

/** The value at `path`, or undefined when any step is missing or of the wrong type. */
export function getPath(item: DynamoItem | undefined, path: Path): DynamoValue | undefined {
  let current: DynamoValue | undefined = item;
  for (const element of path) {
    if (element.kind === 'key') {
      current = isMap(current) ? current[element.name] : undefined;
    } else {
      current = Array.isArray(current) ? current[element.index] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';

/** Set the value at `path`; its parent must exist. An index past the end of a list appends. */
export function setPath(item: DynamoItem, path: Path, value: DynamoValue): void {
  const last = path[path.length - 1];
  const parent = path.length === 1 ? item : getPath(item, path.slice(0, -1));
  if (last === undefined) throw invalid(INVALID_PATH);
  if (last.kind === 'key') {
    if (!isMap(parent)) throw invalid(INVALID_PATH);
    parent[last.name] = value;
    return;
  }
  if (!Array.isArray(parent)) throw invalid(INVALID_PATH);
  if (last.index >= parent.length) parent.push(value);
  else parent[last.index] = value;
}

/** Remove the value at `path`; a missing one is not an error. */
export function removePath(item: DynamoItem, path: Path): void {
  const last = path[path.length - 1];
  const parent = path.length === 1 ? item : getPath(item, path.slice(0, -1));
  if (last === undefined) return;
  if (last.kind === 'key') {
    if (isMap(parent)) delete parent[last.name];
  } else if (Array.isArray(parent) && last.index < parent.length) {
    parent.splice(last.index, 1);
  }
}

/** `{S: "x"}`-like rendering, for error messages. */
export function describeValue(value: DynamoValue): string {
  const type = typeOf(value);
  if (type === 'S' || type === 'N' || type === 'BOOL') return `{${type}: ${String(value)}}`;
  return `{${type}}`;
}

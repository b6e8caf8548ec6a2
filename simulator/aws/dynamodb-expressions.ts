/**
 * The DynamoDB expression engine: conditions evaluated against an item,
 * updates applied to it, projections, and the key condition of a Query, with
 * DynamoDB's semantics (a missing attribute compares false, `<>` true; all SET
 * operands read the item as it was before the update; ...).
 */
import { ExpressionError, invalid } from './dynamodb-expression-error.ts';
import type { Condition, Operand, SetValue, UpdateActions } from './dynamodb-expression-parser.ts';
import {
  compareValues,
  containsValue,
  getPath,
  isMap,
  pathText,
  removePath,
  setPath,
  sizeOf,
  typeOf,
  valuesEqual,
  type DynamoItem,
  type DynamoSet,
  type DynamoValue,
  type Path,
} from './dynamodb-values.ts';

export { ExpressionError } from './dynamodb-expression-error.ts';
export {
  parseCondition,
  parseProjection,
  parseUpdate,
  Placeholders,
  type Condition,
  type Operand,
  type SetValue,
  type UpdateActions,
} from './dynamodb-expression-parser.ts';

function operandValue(operand: Operand, item: DynamoItem | undefined): DynamoValue | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return getPath(item, operand.path);
    case 'size':
      return sizeOf(getPath(item, operand.path));
  }
}

/** Whether `condition` holds for `item` (undefined when there is no item). */
export function evaluateCondition(condition: Condition, item: DynamoItem | undefined): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case 'or':
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case 'not':
      return !evaluateCondition(condition.condition, item);
    case 'attribute_exists':
      return getPath(item, condition.path) !== undefined;
    case 'attribute_not_exists':
      return getPath(item, condition.path) === undefined;
    case 'attribute_type': {
      const value = getPath(item, condition.path);
      return value !== undefined && typeOf(value) === operandValue(condition.type, item);
    }
    case 'begins_with': {
      const value = getPath(item, condition.path);
      const prefix = operandValue(condition.operand, item);
      if (typeof value === 'string' && typeof prefix === 'string') return value.startsWith(prefix);
      if (value instanceof Uint8Array && prefix instanceof Uint8Array) {
        return Buffer.from(value).subarray(0, prefix.byteLength).equals(Buffer.from(prefix));
      }
      return false;
    }
    case 'contains':
      return containsValue(getPath(item, condition.path), operandValue(condition.operand, item));
    case 'between': {
      const value = operandValue(condition.operand, item);
      const low = compareValues(value, operandValue(condition.low, item));
      const high = compareValues(value, operandValue(condition.high, item));
      return low !== undefined && high !== undefined && low >= 0 && high <= 0;
    }
    case 'in': {
      const value = operandValue(condition.operand, item);
      return condition.candidates.some((c) => valuesEqual(value, operandValue(c, item)));
    }
    case 'compare': {
      const left = operandValue(condition.left, item);
      const right = operandValue(condition.right, item);
      if (condition.comparator === '=') return valuesEqual(left, right);
      // A missing attribute or a value of another type is "not equal".
      if (condition.comparator === '<>') return !valuesEqual(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      switch (condition.comparator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
    }
  }
}

const WRONG_TYPE = 'An operand in the update expression has an incorrect data type';

function setValueOf(value: SetValue, original: DynamoItem): DynamoValue {
  switch (value.kind) {
    case 'value':
      return value.value;
    case 'path': {
      const found = getPath(original, value.path);
      if (found === undefined) {
        throw invalid('The provided expression refers to an attribute that does not exist in the item');
      }
      return found;
    }
    case 'size':
      throw invalid('Invalid UpdateExpression: The function is not allowed in an update expression; function: size');
    case 'if_not_exists':
      return getPath(original, value.path) ?? setValueOf(value.fallback, original);
    case 'list_append': {
      const left = setValueOf(value.left, original);
      const right = setValueOf(value.right, original);
      if (!Array.isArray(left) || !Array.isArray(right)) throw invalid(WRONG_TYPE);
      return [...left, ...right];
    }
    case 'arithmetic': {
      const left = setValueOf(value.left, original);
      const right = setValueOf(value.right, original);
      if (typeof left !== 'number' || typeof right !== 'number') throw invalid(WRONG_TYPE);
      return value.operator === '+' ? left + right : left - right;
    }
  }
}

function unionOf(left: DynamoSet, right: DynamoSet): DynamoSet {
  const result = new Set<string | number | Uint8Array>(left);
  for (const element of right) {
    if (![...result].some((existing) => valuesEqual(existing, element))) result.add(element);
  }
  return result as DynamoSet;
}

function differenceOf(left: DynamoSet, right: DynamoSet): DynamoSet {
  const rightElements = [...right];
  const result = [...left].filter((element) => !rightElements.some((r) => valuesEqual(r, element)));
  return new Set<string | number | Uint8Array>(result) as DynamoSet;
}

/** REMOVE of several elements of one list uses the indexes of the list before the update. */
function removalOrder(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) break;
    if (x.kind === 'index' && y.kind === 'index' && x.index !== y.index) return y.index - x.index;
    if (x.kind === 'key' && y.kind === 'key' && x.name !== y.name) return x.name < y.name ? -1 : 1;
  }
  return b.length - a.length;
}

/** The result of an update: the new item and the top-level attributes it touched (for UPDATED_OLD/NEW). */
export interface UpdateResult {
  item: DynamoItem;
  updated: string[];
}

/** Apply parsed update actions to `original` (an item with only its key when it did not exist). */
export function applyUpdate(actions: UpdateActions, original: DynamoItem): UpdateResult {
  const values = actions.set.map((action) => setValueOf(action.value, original));
  const item = structuredClone(original);
  actions.set.forEach((action, i) => setPath(item, action.path, values[i] as DynamoValue));
  for (const path of [...actions.remove].sort(removalOrder)) removePath(item, path);
  for (const { path, value } of actions.add) {
    const current = getPath(item, path);
    if (current === undefined) setPath(item, path, structuredClone(value));
    else if (typeof current === 'number' && typeof value === 'number') setPath(item, path, current + value);
    else if (current instanceof Set && value instanceof Set && typeOf(current) === typeOf(value)) {
      setPath(item, path, unionOf(current, value));
    } else throw invalid(WRONG_TYPE);
  }
  for (const { path, value } of actions.delete) {
    const current = getPath(item, path);
    if (current === undefined) continue;
    if (!(current instanceof Set) || !(value instanceof Set) || typeOf(current) !== typeOf(value)) {
      throw invalid(WRONG_TYPE);
    }
    const rest = differenceOf(current, value);
    // DynamoDB has no empty sets: removing the last element removes the attribute.
    if (rest.size === 0) removePath(item, path);
    else setPath(item, path, rest);
  }
  const updated = [...new Set(updateTargets(actions).map((p) => (p[0]?.kind === 'key' ? p[0].name : '')))];
  return { item, updated };
}

/** Every path an update writes or removes. */
export function updateTargets(actions: UpdateActions): Path[] {
  return [
    ...actions.set.map((a) => a.path),
    ...actions.remove,
    ...actions.add.map((a) => a.path),
    ...actions.delete.map((a) => a.path),
  ];
}

/** The attributes of `item` named by a ProjectionExpression. */
export function project(item: DynamoItem, paths: readonly Path[]): DynamoItem {
  const result: DynamoItem = {};
  for (const path of paths) {
    const value = getPath(item, path);
    if (value === undefined) continue;
    // Rebuild the containers along the path; list elements are compacted, as DynamoDB does.
    let target: DynamoValue = result;
    path.forEach((element, i) => {
      const last = i === path.length - 1;
      const next = path[i + 1];
      const fresh = (): DynamoValue => (last ? structuredClone(value) : next?.kind === 'index' ? [] : {});
      if (element.kind === 'key' && isMap(target)) {
        target[element.name] ??= fresh();
        target = target[element.name] as DynamoValue;
      } else if (element.kind === 'index' && Array.isArray(target)) {
        const created = fresh();
        target.push(created);
        target = created;
      }
    });
  }
  return result;
}

/** The key condition of a Query, reduced to what selects items. */
export interface KeyCondition {
  partitionValue: DynamoValue;
  /** Whether an item's sort key value matches; absent when only the partition key is constrained. */
  sortMatches?: (value: DynamoValue | undefined) => boolean;
}

/** The key attributes of a table. */
export interface KeySchema {
  partitionKey: string;
  sortKey?: string;
}

function keyLeaves(condition: Condition): Condition[] {
  if (condition.kind === 'and') return [...keyLeaves(condition.left), ...keyLeaves(condition.right)];
  if (condition.kind === 'or' || condition.kind === 'not') {
    throw invalid(`Invalid operator used in KeyConditionExpression: ${condition.kind.toUpperCase()}`);
  }
  return [condition];
}

function keyAttribute(operand: Operand): string {
  if (operand.kind !== 'path' || operand.path.length !== 1 || operand.path[0]?.kind !== 'key') {
    throw invalid('Invalid KeyConditionExpression: the left side of a key condition must be a key attribute name');
  }
  return operand.path[0].name;
}

/** Check a KeyConditionExpression the way Query does and reduce it to a partition value and a sort key test. */
export function analyzeKeyCondition(condition: Condition, schema: KeySchema): KeyCondition {
  const leaves = keyLeaves(condition);
  if (leaves.length > 2) throw invalid('KeyConditionExpressions must only contain one condition per key');
  let partitionValue: DynamoValue | undefined;
  let sortMatches: KeyCondition['sortMatches'];
  for (const leaf of leaves) {
    let attribute: string;
    if (leaf.kind === 'compare' || leaf.kind === 'between') {
      attribute = keyAttribute(leaf.kind === 'compare' ? leaf.left : leaf.operand);
    } else if (leaf.kind === 'begins_with') {
      attribute = pathText(leaf.path);
    } else {
      throw invalid(`Invalid operator used in KeyConditionExpression: ${leaf.kind}`);
    }
    if (attribute === schema.partitionKey) {
      if (leaf.kind !== 'compare' || leaf.comparator !== '=' || leaf.right.kind !== 'value') {
        throw invalid('Query key condition not supported');
      }
      if (partitionValue !== undefined) {
        throw invalid('KeyConditionExpressions must only contain one condition per key');
      }
      partitionValue = leaf.right.value;
    } else if (attribute === schema.sortKey) {
      if (sortMatches !== undefined) throw invalid('KeyConditionExpressions must only contain one condition per key');
      if (leaf.kind === 'compare' && (leaf.right.kind !== 'value' || leaf.comparator === '<>')) {
        throw invalid('Query key condition not supported');
      }
      sortMatches = (value) => evaluateCondition(leaf, value === undefined ? {} : { [attribute]: value });
    } else {
      throw invalid(`Query condition missed key schema element: ${schema.partitionKey}`);
    }
  }
  if (partitionValue === undefined) throw invalid(`Query condition missed key schema element: ${schema.partitionKey}`);
  const result: KeyCondition = { partitionValue };
  if (sortMatches !== undefined) result.sortMatches = sortMatches;
  return result;
}

/** Whether an error is one of the engine's (validation or unsupported). */
export function isExpressionError(error: unknown): error is ExpressionError {
  return error instanceof ExpressionError;
}

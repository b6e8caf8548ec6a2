import { describe, expect, it } from 'vitest';
import {
  analyzeKeyCondition,
  applyUpdate,
  evaluateCondition,
  ExpressionError,
  parseCondition,
  parseProjection,
  parseUpdate,
  Placeholders,
  project,
} from '../../simulator/aws/dynamodb-expressions.ts';
import type { DynamoItem, DynamoValue } from '../../simulator/aws/dynamodb-values.ts';

type Values = Record<string, DynamoValue>;

function holds(expression: string, item: DynamoItem | undefined, values: Values = {}, names: Record<string, string> = {}): boolean {
  return evaluateCondition(parseCondition(expression, 'ConditionExpression', new Placeholders(names, values)), item);
}

function update(expression: string, item: DynamoItem, values: Values = {}, names: Record<string, string> = {}): DynamoItem {
  return applyUpdate(parseUpdate(expression, new Placeholders(names, values)), item).item;
}

function failure(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error('expected an ExpressionError');
}

const lock: DynamoItem = {
  pk: 'SERVICE#web',
  sk: 'LOCK',
  holder: 'exec-1',
  count: 3,
  tags: new Set(['a', 'b']),
  steps: ['one', 'two', 'three'],
  meta: { crew: { team: 'platform' }, version: 2 },
};

describe('DynamoDB condition expressions', () => {
  it('evaluates attribute_exists, attribute_not_exists, nested paths and list indexes', () => {
    expect(holds('attribute_exists(holder)', lock)).toBe(true);
    expect(holds('attribute_not_exists(holder)', lock)).toBe(false);
    expect(holds('attribute_not_exists(holder)', undefined)).toBe(true);
    expect(holds('attribute_exists(meta.#o.team)', lock, {}, { '#o': 'crew' })).toBe(true);
    expect(holds('attribute_exists(meta.crew.absent)', lock)).toBe(false);
    expect(holds('steps[1] = :v', lock, { ':v': 'two' })).toBe(true);
    expect(holds('attribute_exists(steps[3])', lock)).toBe(false);
  });

  it('compares with DynamoDB semantics: types must match, a missing attribute is never equal', () => {
    expect(holds('holder = :me', lock, { ':me': 'exec-1' })).toBe(true);
    expect(holds('holder <> :me', lock, { ':me': 'exec-1' })).toBe(false);
    expect(holds('nothing = :me', lock, { ':me': 'exec-1' })).toBe(false);
    expect(holds('nothing <> :me', lock, { ':me': 'exec-1' })).toBe(true);
    expect(holds('meta.version = :two', lock, { ':two': '2' })).toBe(false);
    expect(holds('meta.version < :ten', lock, { ':ten': 10 })).toBe(true);
    expect(holds('meta.version >= :two', lock, { ':two': 2 })).toBe(true);
    expect(holds('holder > :a', lock, { ':a': 'exec-0' })).toBe(true);
    expect(holds('holder < :n', lock, { ':n': 5 })).toBe(false);
    expect(holds('tags = :t', lock, { ':t': new Set(['b', 'a']) })).toBe(true);
    expect(holds('meta = :m', lock, { ':m': { version: 2, crew: { team: 'platform' } } })).toBe(true);
  });

  it('combines with NOT, AND and OR in that precedence, and parentheses', () => {
    const values = { ':me': 'exec-1', ':other': 'exec-2' };
    expect(holds('attribute_not_exists(holder) OR holder = :me', lock, values)).toBe(true);
    expect(holds('NOT holder = :me OR holder = :me', lock, values)).toBe(true);
    expect(holds('holder = :other AND holder = :me OR holder = :me', lock, values)).toBe(true);
    expect(holds('holder = :other AND (holder = :me OR holder = :me)', lock, values)).toBe(false);
    expect(holds('not (holder = :other) and holder = :me', lock, values)).toBe(true);
    expect(holds('(attribute_not_exists(holder) OR holder = :me) AND sk = :lock', lock, { ...values, ':lock': 'LOCK' }))
      .toBe(true);
  });

  it('supports begins_with, contains, BETWEEN, IN, size and attribute_type', () => {
    expect(holds('begins_with(pk, :p)', lock, { ':p': 'SERVICE#' })).toBe(true);
    expect(holds('begins_with(nothing, :p)', lock, { ':p': 'SERVICE#' })).toBe(false);
    expect(holds('contains(tags, :a)', lock, { ':a': 'a' })).toBe(true);
    expect(holds('contains(steps, :s)', lock, { ':s': 'three' })).toBe(true);
    expect(holds('contains(holder, :s)', lock, { ':s': 'ec-' })).toBe(true);
    expect(holds('#c BETWEEN :lo AND :hi', lock, { ':lo': 1, ':hi': 3 }, { '#c': 'count' })).toBe(true);
    expect(holds('#c IN (:a, :b)', lock, { ':a': 1, ':b': 3 }, { '#c': 'count' })).toBe(true);
    expect(holds('size(steps) = :three', lock, { ':three': 3 })).toBe(true);
    expect(holds('size(holder) > :n', lock, { ':n': 5 })).toBe(true);
    expect(holds('attribute_type(tags, :ss)', lock, { ':ss': 'SS' })).toBe(true);
  });

  it('refuses syntax errors with DynamoDB-like messages instead of guessing', () => {
    expect(failure(() => holds('holder = ', lock)).message).toBe(
      'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "holder ="',
    );
    expect(failure(() => holds('holder == :v', lock, { ':v': 'x' })).message).toContain('Syntax error; token: "="');
    expect(failure(() => holds('holder = :v $', lock, { ':v': 'x' })).message).toContain('token: "$"');
    expect(failure(() => holds('(holder = :v', lock, { ':v': 'x' })).message).toContain('"<EOF>"');
    expect(failure(() => holds('holder', lock)).message).toContain('Syntax error');
    expect(failure(() => holds('', lock)).message).toBe('Invalid ConditionExpression: The expression can not be empty;');
    expect(failure(() => holds('exists(holder)', lock)).message).toBe(
      'Invalid ConditionExpression: Invalid function name; function: exists',
    );
    expect(failure(() => holds('if_not_exists(holder, :v) = :v', lock, { ':v': 'x' })).message).toContain(
      'not allowed to be used this way',
    );
  });

  it('refuses reserved words, undefined placeholders and literals of the wrong type', () => {
    const reserved = failure(() => holds('status = :s', lock, { ':s': 'OPEN' }));
    expect(reserved.kind).toBe('validation');
    expect(reserved.message).toBe('Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status');
    expect(failure(() => holds('holder = :nope', lock)).message).toContain('attribute value: :nope');
    expect(failure(() => holds('#nope = :v', lock, { ':v': 'x' })).message).toContain('attribute name: #nope');
    expect(failure(() => holds('holder < :b', lock, { ':b': true })).message).toContain('operand type: BOOL');
    expect(failure(() => holds('begins_with(pk, :n)', lock, { ':n': 1 })).message).toContain('begins_with, operand type: N');
    expect(failure(() => holds('#c BETWEEN :hi AND :lo', lock, { ':lo': 1, ':hi': 3 }, { '#c': 'count' })).message).toContain(
      'upper bound to be greater than or equal to lower bound',
    );
    expect(failure(() => holds('attribute_type(tags, :t)', lock, { ':t': 'SET' })).message).toContain('Invalid attribute type');
  });

  it('refuses placeholders no expression of the request used', () => {
    const placeholders = new Placeholders({ '#h': 'holder', '#x': 'unused' }, { ':me': 'a', ':extra': 'b' });
    parseCondition('#h = :me', 'ConditionExpression', placeholders);
    expect(failure(() => placeholders.assertAllUsed()).message).toBe(
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}',
    );
  });
});

describe('DynamoDB update expressions', () => {
  it('applies SET (with if_not_exists, arithmetic, list_append) and REMOVE in one expression', () => {
    // Prepare
    const values = { ':me': 'exec-2', ':one': 1, ':zero': 0, ':more': ['four'], ':now': '2026-01-05T09:00:00Z' };

    // Act
    const next = update(
      'SET holder = :me, #c = #c + :one, started = if_not_exists(started, :now), attempts = if_not_exists(attempts, :zero) + :one, ' +
        'steps = list_append(steps, :more), meta.crew.team = :me REMOVE tags, meta.version',
      lock,
      values,
      { '#c': 'count' },
    );

    // Assess
    expect(next).toEqual({
      pk: 'SERVICE#web',
      sk: 'LOCK',
      holder: 'exec-2',
      count: 4,
      started: '2026-01-05T09:00:00Z',
      attempts: 1,
      steps: ['one', 'two', 'three', 'four'],
      meta: { crew: { team: 'exec-2' } },
    });
    expect(lock.holder).toBe('exec-1');
  });

  it('reads every SET operand from the item as it was before the update', () => {
    const next = update('SET a = b, b = a', { pk: 'x', sk: 'y', a: 1, b: 2 });
    expect(next).toMatchObject({ a: 2, b: 1 });
  });

  it('removes list elements by their original indexes and handles ADD and DELETE on numbers and sets', () => {
    const next = update('REMOVE steps[0], steps[2] ADD #c :two, tags :c DELETE extra :x', { ...lock, extra: new Set(['x']) }, {
      ':two': 2,
      ':c': new Set(['c']),
      ':x': new Set(['x']),
    }, { '#c': 'count' });
    expect(next.steps).toEqual(['two']);
    expect(next.count).toBe(5);
    expect(next.tags).toEqual(new Set(['a', 'b', 'c']));
    expect(next).not.toHaveProperty('extra');
  });

  it('refuses overlapping paths, repeated clauses, bad operands and missing parents', () => {
    expect(failure(() => update('SET a = :v REMOVE a', lock, { ':v': 1 })).message).toContain('Two document paths overlap');
    expect(failure(() => update('SET meta = :v, meta.version = :v', lock, { ':v': 1 })).message).toContain(
      'path one: [meta], path two: [meta.version]',
    );
    expect(failure(() => update('SET a = :v SET b = :v', lock, { ':v': 1 })).message).toContain(
      'The "SET" section can only be used once',
    );
    expect(failure(() => update('SET holder = holder + :one', lock, { ':one': 1 })).message).toContain('incorrect data type');
    expect(failure(() => update('SET x = nothing', lock)).message).toContain('refers to an attribute that does not exist');
    expect(failure(() => update('SET a.b = :v', lock, { ':v': 1 })).message).toContain('document path provided in the update expression is invalid');
    expect(failure(() => update('ADD holder :s', lock, { ':s': 'x' })).message).toContain('operator: ADD, operand type: S');
    expect(failure(() => update('SET #s = :v', lock, { ':v': 1 }, {})).message).toContain('attribute name: #s');
    expect(failure(() => update('SET name = :v', lock, { ':v': 1 })).message).toContain('reserved keyword: name');
    expect(failure(() => update('PUT a = :v', lock, { ':v': 1 })).message).toContain('Syntax error; token: "PUT"');
    expect(failure(() => update('SET a = :v,', lock, { ':v': 1 })).message).toContain('"<EOF>"');
    expect(failure(() => update('SET a = :v + :v + :v', lock, { ':v': 1 })).message).toContain('Syntax error; token: "+"');
  });
});

describe('DynamoDB key conditions and projections', () => {
  const schema = { partitionKey: 'pk', sortKey: 'sk' };
  const key = (expression: string, values: Values) =>
    analyzeKeyCondition(parseCondition(expression, 'KeyConditionExpression', new Placeholders({}, values)), schema);

  it('reduces a key condition to the partition value and a sort key test', () => {
    const condition = key('pk = :pk AND begins_with(sk, :d)', { ':pk': 'SERVICE#web', ':d': 'DEPLOY#' });
    expect(condition.partitionValue).toBe('SERVICE#web');
    expect(condition.sortMatches?.('DEPLOY#2026')).toBe(true);
    expect(condition.sortMatches?.('LOCK')).toBe(false);
    const between = key('sk BETWEEN :a AND :b AND pk = :pk', { ':pk': 'p', ':a': 'b', ':b': 'd' });
    expect([between.sortMatches?.('c'), between.sortMatches?.('e')]).toEqual([true, false]);
    expect(key('pk = :pk', { ':pk': 'p' }).sortMatches).toBeUndefined();
  });

  it('refuses key conditions DynamoDB refuses', () => {
    expect(failure(() => key('pk = :a OR pk = :b', { ':a': 'a', ':b': 'b' })).message).toContain('Invalid operator used in KeyConditionExpression: OR');
    expect(failure(() => key('sk = :a', { ':a': 'a' })).message).toBe('Query condition missed key schema element: pk');
    expect(failure(() => key('pk > :a', { ':a': 'a' })).message).toBe('Query key condition not supported');
    expect(failure(() => key('pk = :a AND holder = :a', { ':a': 'a' })).message).toContain('missed key schema element');
    expect(failure(() => key('pk = :a AND sk = :a AND sk = :a', { ':a': 'a' })).message).toContain('one condition per key');
  });

  it('projects top-level and nested attributes', () => {
    const paths = parseProjection('holder, meta.crew, steps[1]', new Placeholders());
    expect(project(lock, paths)).toEqual({ holder: 'exec-1', meta: { crew: { team: 'platform' } }, steps: ['two'] });
  });
});

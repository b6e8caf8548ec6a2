import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { awsCall } from '../../../lambdas/shared/aws-call.ts';
import { AwsCallFailed } from '../../../lambdas/shared/errors.ts';
import { isConditionFailure, itemOfConditionFailure } from '../../../lambdas/shared/table.ts';

/** A refused conditional write carrying the item it saw, in DynamoDB's own encoding. */
function refused(Item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(Item ? { Item } : {}) });
}

/** The same refusal as a handler sees it: wrapped by `awsCall`. */
async function wrapped(error: unknown): Promise<unknown> {
  try {
    await awsCall('dynamodb:UpdateItem', () => Promise.reject(error));
  } catch (thrown) {
    return thrown;
  }
  throw new Error('awsCall did not throw');
}

describe('the item a refused conditional write saw', () => {
  it('reads strings, numbers, booleans and nulls as plain values', () => {
    // Prepare
    const error = refused({ holder: { S: 'arn:exec' }, attempts: { N: '3' }, approved: { BOOL: false }, note: { NULL: true } });

    // Act
    const item = itemOfConditionFailure(error);

    // Assess
    expect(item).toEqual({ holder: 'arn:exec', attempts: 3, approved: false, note: null });
  });

  it('reads the item through the error awsCall wrapped it in', async () => {
    // Prepare
    const error = await wrapped(refused({ holder: { S: 'arn:exec' } }));

    // Act
    const item = itemOfConditionFailure(error);

    // Assess
    expect(error).toBeInstanceOf(AwsCallFailed);
    expect(item).toEqual({ holder: 'arn:exec' });
  });

  it('leaves values it does not decode as they came: lists, maps, sets, mistyped or already plain values', () => {
    // Prepare
    const raw = {
      list: { L: [{ S: 'a' }] },
      map: { M: { a: { S: 'b' } } },
      set: { SS: ['a', 'b'] },
      numberAsNumber: { N: 3 },
      stringAsNumber: { S: 3 },
      boolAsText: { BOOL: 'true' },
      nullFalse: { NULL: false },
      twoKeys: { S: 'a', N: '1' },
      plain: 'already plain',
      array: ['a'],
      nothing: null,
    };
    const error = Object.assign(refused(), { Item: raw });

    // Act
    const item = itemOfConditionFailure(error);

    // Assess
    expect(item).toEqual(raw);
  });

  it('has no item when the refusal carries none', () => {
    // Prepare
    const errors = [refused(), Object.assign(refused(), { Item: null }), Object.assign(refused(), { Item: 'x' }), new Error('other'), 'text', null];

    // Act
    const items = errors.map((error) => itemOfConditionFailure(error));

    // Assess
    expect(items).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('condition failures', () => {
  it('recognises a refused conditional write, raw or wrapped by awsCall', async () => {
    // Prepare
    const raw = refused();
    const viaAwsCall = await wrapped(refused());

    // Act
    const recognised = [isConditionFailure(raw), isConditionFailure(viaAwsCall)];

    // Assess
    expect(recognised).toEqual([true, true]);
  });

  it('does not take another failure, raw or wrapped, for a refused condition', async () => {
    // Prepare
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ThrottlingException';
    const viaAwsCall = await wrapped(throttled);

    // Act
    const recognised = [isConditionFailure(throttled), isConditionFailure(viaAwsCall), isConditionFailure(undefined)];

    // Assess
    expect(recognised).toEqual([false, false, false]);
  });
});

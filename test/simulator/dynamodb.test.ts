import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const raw = new DynamoDBClient({ region: 'us-east-1' });
const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const LOCK_KEY = { pk: 'SERVICE#web', sk: 'LOCK' };

/** Take the lock for `me` unless someone else holds it (the way the AcquireLock handler does). */
function takeLock(me: string): UpdateCommandInput {
  return {
    TableName: 'deployer',
    Key: LOCK_KEY,
    UpdateExpression: 'SET holder = :me, heldSince = :now',
    ConditionExpression: 'attribute_not_exists(holder) OR holder = :me',
    ExpressionAttributeValues: { ':me': me, ':now': '2026-01-05T09:00:00Z' },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

describe('simulated DynamoDB through the document client', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('lets one conditional SET take a lock and refuses the next with the holder in the exception', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const first = await doc.send(new UpdateCommand({ ...takeLock('exec-1'), ReturnValues: 'ALL_NEW' }));
    const again = await doc.send(new UpdateCommand(takeLock('exec-1')));
    const second = await rejectionOf(doc.send(new UpdateCommand(takeLock('exec-2'))));

    // Assess
    expect(first.Attributes).toEqual({ ...LOCK_KEY, holder: 'exec-1', heldSince: '2026-01-05T09:00:00Z' });
    expect(again.Attributes).toBeUndefined();
    expect(second).toBeInstanceOf(ConditionalCheckFailedException);
    expect(second).toMatchObject({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });
    // As with the real document client, the item of the exception is not unmarshalled.
    expect(second.Item).toEqual({
      pk: { S: 'SERVICE#web' },
      sk: { S: 'LOCK' },
      holder: { S: 'exec-1' },
      heldSince: { S: '2026-01-05T09:00:00Z' },
    });
    expect(installed.world.dynamodb.getItem(LOCK_KEY)).toMatchObject({ holder: 'exec-1' });
  });

  it('leaves Item off the exception unless ALL_OLD was asked for, and for a missing item', async () => {
    // Prepare
    installed = installWorld();
    installed.world.dynamodb.putItem({ ...LOCK_KEY, holder: 'exec-1' });

    // Act
    const withoutOld = await rejectionOf(
      doc.send(new UpdateCommand({ ...takeLock('exec-2'), ReturnValuesOnConditionCheckFailure: undefined })),
    );
    const missing = await rejectionOf(
      doc.send(
        new DeleteCommand({
          TableName: 'deployer',
          Key: { pk: 'SERVICE#none', sk: 'LOCK' },
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': 'exec-1' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );

    // Assess
    expect(withoutOld).toBeInstanceOf(ConditionalCheckFailedException);
    expect(withoutOld.Item).toBeUndefined();
    expect(missing).toBeInstanceOf(ConditionalCheckFailedException);
    expect(missing.Item).toBeUndefined();
  });

  it('puts, gets, removes attributes and deletes items with plain JS values', async () => {
    // Prepare
    installed = installWorld();
    const item = { ...LOCK_KEY, holder: 'exec-1', attempts: 2, flags: new Set(['a']), nested: { ok: true }, gone: undefined };

    // Act
    await doc.send(new PutCommand({ TableName: 'deployer', Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    const duplicate = await rejectionOf(
      doc.send(new PutCommand({ TableName: 'deployer', Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    await doc.send(new UpdateCommand({ TableName: 'deployer', Key: LOCK_KEY, UpdateExpression: 'REMOVE holder, nested.ok' }));
    const got = await doc.send(new GetCommand({ TableName: 'deployer', Key: LOCK_KEY }));
    const deleted = await doc.send(new DeleteCommand({ TableName: 'deployer', Key: LOCK_KEY, ReturnValues: 'ALL_OLD' }));
    const after = await doc.send(new GetCommand({ TableName: 'deployer', Key: LOCK_KEY }));

    // Assess
    expect(duplicate).toBeInstanceOf(ConditionalCheckFailedException);
    expect(got.Item).toEqual({ ...LOCK_KEY, attempts: 2, flags: new Set(['a']), nested: {} });
    expect(deleted.Attributes).toEqual(got.Item);
    expect(after.Item).toBeUndefined();
    expect(after.$metadata.httpStatusCode).toBe(200);
  });

  it('fails like the document client on undefined values when removeUndefinedValues is off', async () => {
    // Prepare
    installed = installWorld();
    const strict = DynamoDBDocumentClient.from(raw);

    // Act
    const error = await rejectionOf(
      strict.send(new PutCommand({ TableName: 'deployer', Item: { ...LOCK_KEY, holder: undefined } })),
    );

    // Assess
    expect(error.message).toContain('removeUndefinedValues');
    expect(installed.world.dynamodb.items()).toEqual([]);
  });

  it('returns numbers wrapped when the client asks for wrapNumbers', async () => {
    // Prepare
    installed = installWorld();
    installed.world.dynamodb.putItem({ ...LOCK_KEY, attempts: 3 });
    const wrapping = DynamoDBDocumentClient.from(raw, { unmarshallOptions: { wrapNumbers: true } });

    // Act
    const got = await wrapping.send(new GetCommand({ TableName: 'deployer', Key: LOCK_KEY }));

    // Assess
    expect(got.Item?.attempts).toBeInstanceOf(NumberValue);
    expect(String(got.Item?.attempts)).toBe('3');
  });

  it('queries a partition in sort key order, backwards, with begins_with, Limit and a filter', async () => {
    // Prepare
    installed = installWorld();
    const { dynamodb } = installed.world;
    for (const sk of ['DEPLOY#2026-01-03#c', 'LOCK', 'DEPLOY#2026-01-01#a', 'DEPLOY#2026-01-02#b']) {
      dynamodb.putItem({ pk: 'SERVICE#web', sk, result: sk.endsWith('b') ? 'FAILED' : 'SUCCEEDED' });
    }
    dynamodb.putItem({ pk: 'SERVICE#other', sk: 'DEPLOY#2026-01-04#d' });
    const query = {
      TableName: 'deployer',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': 'SERVICE#web', ':d': 'DEPLOY#' },
    };

    // Act
    const all = await doc.send(new QueryCommand(query));
    const newestFirst = await doc.send(new QueryCommand({ ...query, ScanIndexForward: false, Limit: 2 }));
    const nextPage = await doc.send(
      new QueryCommand({ ...query, ScanIndexForward: false, Limit: 2, ExclusiveStartKey: newestFirst.LastEvaluatedKey }),
    );
    const filtered = await doc.send(
      new QueryCommand({
        ...query,
        Limit: 2,
        FilterExpression: '#r = :ok',
        ExpressionAttributeNames: { '#r': 'result' },
        ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':ok': 'SUCCEEDED' },
      }),
    );

    // Assess
    expect(all.Items?.map((i) => i.sk)).toEqual(['DEPLOY#2026-01-01#a', 'DEPLOY#2026-01-02#b', 'DEPLOY#2026-01-03#c']);
    expect(all.LastEvaluatedKey).toBeUndefined();
    expect(newestFirst.Items?.map((i) => i.sk)).toEqual(['DEPLOY#2026-01-03#c', 'DEPLOY#2026-01-02#b']);
    expect(newestFirst.LastEvaluatedKey).toEqual({ pk: 'SERVICE#web', sk: 'DEPLOY#2026-01-02#b' });
    expect(nextPage.Items?.map((i) => i.sk)).toEqual(['DEPLOY#2026-01-01#a']);
    expect(nextPage.LastEvaluatedKey).toBeUndefined();
    // Limit counts items read before the filter, as in DynamoDB.
    expect(filtered).toMatchObject({ Count: 1, ScannedCount: 2 });
    expect(filtered.Items?.map((i) => i.sk)).toEqual(['DEPLOY#2026-01-01#a']);
  });

  it('refuses what DynamoDB refuses: reserved words, unused values, bad keys, unknown tables', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const reserved = await rejectionOf(
      doc.send(new UpdateCommand({ TableName: 'deployer', Key: LOCK_KEY, UpdateExpression: 'SET status = :s', ExpressionAttributeValues: { ':s': 'x' } })),
    );
    const unused = await rejectionOf(
      doc.send(new UpdateCommand({ TableName: 'deployer', Key: LOCK_KEY, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1, ':b': 2 } })),
    );
    const badKey = await rejectionOf(doc.send(new GetCommand({ TableName: 'deployer', Key: { pk: 'SERVICE#web' } })));
    const keyUpdate = await rejectionOf(
      doc.send(new UpdateCommand({ TableName: 'deployer', Key: LOCK_KEY, UpdateExpression: 'SET sk = :a', ExpressionAttributeValues: { ':a': 'X' } })),
    );
    const noTable = await rejectionOf(doc.send(new GetCommand({ TableName: 'other', Key: LOCK_KEY })));

    // Assess
    expect(reserved).toMatchObject({
      name: 'ValidationException',
      message: 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(unused.message).toBe('Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}');
    expect(badKey.message).toBe('The provided key element does not match the schema');
    expect(keyUpdate.message).toContain('Cannot update attribute sk. This attribute is part of the key');
    expect(noTable).toBeInstanceOf(ResourceNotFoundException);
    expect(installed.world.dynamodb.items()).toEqual([]);
  });

  it('says so, rather than pretending, for valid DynamoDB it does not simulate', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const index = await rejectionOf(
      doc.send(
        new QueryCommand({
          TableName: 'deployer',
          IndexName: 'byStatus',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': 'x' },
        }),
      ),
    );
    const legacy = await rejectionOf(
      doc.send(new PutCommand({ TableName: 'deployer', Item: LOCK_KEY, Expected: { holder: { Exists: false } } })),
    );
    const rawCall = await rejectionOf(raw.send(new GetItemCommand({ TableName: 'deployer', Key: { pk: { S: 'x' } } })));

    // Assess
    expect(index).toMatchObject({ name: 'SimulationNotImplemented' });
    expect(index.message).toContain('IndexName');
    expect(legacy.message).toContain('legacy parameter Expected');
    expect(rawCall).toMatchObject({ name: 'SimulationNotImplemented' });
    expect(rawCall.message).toContain('use DynamoDBDocumentClient');
  });

  it('records each call with its IAM action on the table ARN', async () => {
    // Prepare
    installed = installWorld();

    // Act
    await doc.send(new PutCommand({ TableName: 'deployer', Item: LOCK_KEY }));
    await doc.send(new GetCommand({ TableName: 'deployer', Key: LOCK_KEY }));
    await doc.send(new QueryCommand({ TableName: 'deployer', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'x' } }));
    await rejectionOf(doc.send(new UpdateCommand(takeLock('a'))).then(() => doc.send(new UpdateCommand(takeLock('b')))));
    await doc.send(new DeleteCommand({ TableName: 'deployer', Key: LOCK_KEY }));

    // Assess
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/deployer';
    expect(installed.world.calls.map((c) => [c.action, c.resources, c.error])).toEqual([
      ['dynamodb:PutItem', [table], undefined],
      ['dynamodb:GetItem', [table], undefined],
      ['dynamodb:Query', [table], undefined],
      ['dynamodb:UpdateItem', [table], undefined],
      ['dynamodb:UpdateItem', [table], 'ConditionalCheckFailedException'],
      ['dynamodb:DeleteItem', [table], undefined],
    ]);
  });
});

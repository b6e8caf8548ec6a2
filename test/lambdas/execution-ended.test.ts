import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/execution-ended.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import {
  ACCOUNT,
  EXECUTION_ARN,
  EXECUTION_NAME,
  EXECUTION_START,
  REGION,
  REGISTRY,
  STATE_MACHINE_ARN,
  TABLE,
  stubDeployerEnv,
} from '../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);

const LOCK_KEY = { pk: 'SERVICE#web', sk: 'LOCK' };
/** The key RecordEvent writes the history of this execution under. */
const HISTORY_KEY = { pk: 'SERVICE#web', sk: `DEPLOY#${EXECUTION_START}#${EXECUTION_NAME}` };
const STOPPED_AT = Date.parse(EXECUTION_START) + 300_000;

type Status = 'ABORTED' | 'TIMED_OUT' | 'FAILED' | 'SUCCEEDED';

/** A `Step Functions Execution Status Change` event as EventBridge delivers it. */
function statusChange(status: Status, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: new Date(STOPPED_AT).toISOString(),
    region: REGION,
    resources: [EXECUTION_ARN],
    detail: {
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: EXECUTION_NAME,
      status,
      startDate: Date.parse(EXECUTION_START),
      stopDate: STOPPED_AT,
      input: JSON.stringify({ service: 'web', image: `${REGISTRY}/web:v1.2.0` }),
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

function writeTo(key: { pk: string; sk: string }): UpdateCommandInput | undefined {
  return ddbMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .find((input) => input.Key?.pk === key.pk && input.Key?.sk === key.sk);
}

/** The history fields written, by attribute name. */
function historyFields(): Record<string, unknown> {
  const input = writeTo(HISTORY_KEY);
  const fields: Record<string, unknown> = {};
  for (const [placeholder, field] of Object.entries(input?.ExpressionAttributeNames ?? {})) {
    if (placeholder.startsWith('#f')) fields[field] = input?.ExpressionAttributeValues?.[placeholder.replace('#f', ':v')];
  }
  return fields;
}

describe('ExecutionEnded', () => {
  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
    ddbMock.on(UpdateCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['ABORTED', 'execution was stopped'],
    ['TIMED_OUT', 'execution timed out'],
  ] as const)('releases the lock a %s execution held and closes its history', async (status, why) => {
    // Prepare
    const event = statusChange(status);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true, recorded: true });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'REMOVE holder, holderImage, heldSince',
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: { ':me': EXECUTION_ARN },
    });
    const history = writeTo(HISTORY_KEY);
    expect(history).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(#status) OR #status = :open',
      ExpressionAttributeValues: expect.objectContaining({ ':open': 'IN_PROGRESS' }),
    });
    expect(historyFields()).toMatchObject({
      service: 'web',
      status,
      executionArn: EXECUTION_ARN,
      startedAt: EXECUTION_START,
      endedAt: new Date(STOPPED_AT).toISOString(),
      reason: `${why}; its lock was released`,
    });
  });

  it('leaves a history the state machine already closed alone', async () => {
    // Prepare
    ddbMock.on(UpdateCommand, { Key: HISTORY_KEY }).rejects(conditionFailed());
    const event = statusChange('ABORTED');

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true, recorded: false });
  });

  it('does not take a lock away from another execution', async () => {
    // Prepare
    ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());
    const event = statusChange('TIMED_OUT');

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: false, recorded: true });
    expect(historyFields().reason).toBe('execution timed out');
  });

  it('cleans up after an execution that failed outside a Catch, saying why it failed', async () => {
    // Prepare
    const event = statusChange('FAILED', { error: 'States.Runtime', cause: 'An error occurred while executing the state' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true, recorded: true });
    expect(historyFields()).toMatchObject({
      status: 'FAILED',
      reason: 'execution failed: States.Runtime An error occurred while executing the state; its lock was released',
    });
  });

  it.each([
    ['a FAILED execution whose input was rejected', statusChange('FAILED', { error: 'InvalidInput', cause: 'service: required' })],
    ['an execution whose input names no service', statusChange('ABORTED', { input: JSON.stringify({ image: 'x' }) })],
    ['an execution whose input is not JSON', statusChange('ABORTED', { input: 'not json' })],
    ['a SUCCEEDED execution', statusChange('SUCCEEDED')],
  ])('does nothing for %s', async (_what, event) => {
    // Prepare
    const context = lambdaContext();

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ released: false, recorded: false });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects an event that is not an execution status change', async () => {
    // Prepare
    const event = { ...statusChange('ABORTED'), source: 'aws.ecr' };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('source') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });
});

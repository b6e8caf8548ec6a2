import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as releaseLock } from '../../lambdas/envelope/release-lock.ts';
import { handler as trigger } from '../../lambdas/envelope/trigger.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { ACCOUNT, DIGEST, REGION, executionOf, stubDeployerEnv } from '../support/lambda-fixtures.ts';

// Unlike the other handler tests, this one reads the logs: INFO, one JSON object per line.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

const ddbMock = mockClient(DynamoDBDocumentClient);

/** Run `act` and return the JSON log lines the logger wrote meanwhile. */
async function logsOf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('handler logs', () => {
  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('name the deployed service, without reserved-key warnings', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({});
    const event = { service: 'orders-api', executionArn: executionOf('orders-api').arn };

    // Act
    const lines = await logsOf(() => releaseLock(event, lambdaContext()));

    // Assess
    expect(lines).toContainEqual(expect.objectContaining({ message: 'lock released', serviceName: 'orders-api' }));
    expect(lines.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('name the service a push was ignored for', async () => {
    // Prepare
    const event = {
      id: 'e1',
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      account: ACCOUNT,
      region: REGION,
      time: '2026-01-31T12:00:00Z',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': DIGEST, 'image-tag': 'nightly' },
    };

    // Act
    const lines = await logsOf(() => trigger(event, lambdaContext()));

    // Assess
    expect(lines).toContainEqual(expect.objectContaining({ message: 'ignored', serviceName: 'web', tag: 'nightly' }));
    expect(lines.filter((line) => line.level === 'WARN')).toEqual([]);
  });
});

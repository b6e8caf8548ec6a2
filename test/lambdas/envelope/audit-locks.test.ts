import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, OVERDUE_GRACE_SECONDS } from '../../../lambdas/envelope/audit-locks.ts';
import { worstCaseSeconds } from '../../../lambdas/shared/budget.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { configuredService, CONFIG_DOCUMENT, EXECUTION_ARN, stubDeployerEnv, TABLE } from '../../support/lambda-fixtures.ts';
import { vmRolling } from '../../support/vm-config-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const NOW = Date.parse('2026-02-01T12:00:00.000Z');
const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events' };
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

describe('AuditLocks', () => {
  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it("flags a lock held longer than its service's longest deployment, and only that one", async () => {
    // Prepare
    const limit = worstCaseSeconds(configuredService('web')) + OVERDUE_GRACE_SECONDS;
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(GetCommand, { Key: { pk: 'SERVICE#web', sk: 'LOCK' } }).resolves({ Item: { holder: EXECUTION_ARN, heldSince: ago(limit + 60) } });
    ddbMock.on(GetCommand, { Key: { pk: 'SERVICE#checkout', sk: 'LOCK' } }).resolves({ Item: { holder: 'x', heldSince: ago(600) } });

    // Act
    const result = await handler(scheduled, lambdaContext());

    // Assess
    const byService = Object.fromEntries(result.locks.map((l) => [l.service, l]));
    expect(byService.web).toMatchObject({ holder: EXECUTION_ARN, ageSeconds: limit + 60, overdue: true, limitSeconds: limit });
    expect(byService.checkout).toMatchObject({ ageSeconds: 600, overdue: false });
    expect(result.locks.filter((l) => l.overdue).map((l) => l.service)).toEqual(['web']);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, ConsistentRead: true });
  });

  it('does not flag a lock exactly at its limit, nor a lock nobody holds', async () => {
    // Prepare
    const limit = worstCaseSeconds(configuredService('web')) + OVERDUE_GRACE_SECONDS;
    ddbMock.on(GetCommand).resolves({ Item: { latestExecution: 'y' } });
    ddbMock.on(GetCommand, { Key: { pk: 'SERVICE#web', sk: 'LOCK' } }).resolves({ Item: { holder: EXECUTION_ARN, heldSince: ago(limit) } });

    // Act
    const result = await handler(scheduled, lambdaContext());

    // Assess
    expect(result.locks.every((l) => !l.overdue)).toBe(true);
    expect(result.locks.filter((l) => l.ageSeconds !== undefined).map((l) => l.service)).toEqual(['web']);
  });

  it("audits a VM service's lock against its own longest deployment (every batch and its rollback)", async () => {
    // Prepare
    const config = parseConfig({ ecs: CONFIG_DOCUMENT.ecs, vm: [vmRolling()] });
    stubDeployerEnv(config);
    const limit = worstCaseSeconds(config.vm[0]!) + OVERDUE_GRACE_SECONDS;
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(GetCommand, { Key: { pk: 'SERVICE#api-vm', sk: 'LOCK' } }).resolves({ Item: { holder: EXECUTION_ARN, heldSince: ago(limit + 1) } });

    // Act
    const result = await handler(scheduled, lambdaContext());

    // Assess
    expect(result.locks.filter((l) => l.overdue)).toEqual([expect.objectContaining({ service: 'api-vm', limitSeconds: limit, ageSeconds: limit + 1 })]);
  });
});

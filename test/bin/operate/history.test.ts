/**
 * `deployer history`: a service's deployments from the deployer's table,
 * newest first: when, how long, result, image, who or what started it and
 * why, and why it ended as it did; as text or JSON.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { REGISTRY, TABLE, cloudFormation, run, table, useInstalledDeployer } from './operate-fixtures.ts';

const DIGEST = `sha256:${'4d'.repeat(32)}`;

const RUNNING = {
  pk: 'SERVICE#web',
  sk: 'DEPLOY#2026-02-03T12:10:00.000Z#web-20260203T121000Z-0a0b',
  status: 'IN_PROGRESS',
  image: `${REGISTRY}/web@sha256:${'6e'.repeat(32)}`,
  imageTag: 'v1.6.0',
  startedBy: 'alice',
  startedAt: '2026-02-03T12:10:00.000Z',
  reason: `deploying ${REGISTRY}/web@sha256:6e6e to web (rolling; was ${REGISTRY}/web@sha256:5f5f)`,
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:EcsDeployer-ecs-rolling:web-20260203T121000Z-0a0b',
  deploymentJson: JSON.stringify({ service: 'web', reason: 'hotfix for the login page', startedBy: 'alice' }),
};
const SUCCEEDED = {
  pk: 'SERVICE#web',
  sk: 'DEPLOY#2026-02-02T09:00:00.000Z#web-5f5f5f5f',
  status: 'SUCCEEDED',
  image: `${REGISTRY}/web@sha256:${'5f'.repeat(32)}`,
  imageTag: 'v1.5.0',
  startedBy: 'ecr-push',
  startedAt: '2026-02-02T09:00:00.000Z',
  endedAt: '2026-02-02T09:12:30.000Z',
  reason: 'web runs web:8, verified',
  deploymentJson: JSON.stringify({ service: 'web', reason: 'push of web:v1.5.0' }),
};
const ROLLED_BACK = {
  pk: 'SERVICE#web',
  sk: 'DEPLOY#2026-02-01T15:00:00.000Z#web-4d4d4d4d',
  status: 'ROLLED_BACK',
  image: `${REGISTRY}/web@${DIGEST}`,
  startedBy: 'console',
  startedAt: '2026-02-01T15:00:00.000Z',
  endedAt: '2026-02-01T15:04:00.000Z',
  reason: 'rolled back web (web:7, 3 tasks): VerificationFailed: alarm web-5xx-rate went to ALARM',
  error: 'VerificationFailed',
};

describe('deployer history', () => {
  useInstalledDeployer();

  it('lists the newest deployments: when, result, duration, image, who and why it was started, why it ended so', async () => {
    // Prepare
    table.on(QueryCommand).resolves({ Items: [RUNNING, SUCCEEDED, ROLLED_BACK] });

    // Act
    const { code, stdout, stderr } = await run('history', 'web');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(table).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
      ExpressionAttributeValues: { ':pk': 'SERVICE#web', ':deploy': 'DEPLOY#' },
      ScanIndexForward: false,
      Limit: 10,
    });
    expect(stdout).toBe(
      [
        'web: the last 3 deployments, newest first',
        '',
        '2026-02-03 12:10:00Z  IN_PROGRESS  10m so far  v1.6.0          by alice (hotfix for the login page)',
        `    deploying ${REGISTRY}/web@sha256:6e6e to web (rolling; was ${REGISTRY}/web@sha256:5f5f)`,
        '',
        '2026-02-02 09:00:00Z  SUCCEEDED    12m30s     v1.5.0          by ecr-push (push of web:v1.5.0)',
        '    web runs web:8, verified',
        '',
        '2026-02-01 15:00:00Z  ROLLED_BACK  4m         sha256:4d4d4d4d4d4d  by console',
        '    rolled back web (web:7, 3 tasks): VerificationFailed: alarm web-5xx-rate went to ALARM',
        '',
      ].join('\n'),
    );
  });

  it('reads further pages until it has --limit deployments', async () => {
    // Prepare
    table
      .on(QueryCommand)
      .resolvesOnce({ Items: [RUNNING], LastEvaluatedKey: { pk: RUNNING.pk, sk: RUNNING.sk } })
      .resolvesOnce({ Items: [SUCCEEDED, ROLLED_BACK], LastEvaluatedKey: { pk: ROLLED_BACK.pk, sk: ROLLED_BACK.sk } });

    // Act
    const { code, stdout } = await run('history', 'web', '--limit', '2', '--json');

    // Assess
    expect(code).toBe(0);
    expect(table).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(table).toHaveReceivedNthCommandWith(QueryCommand, 2, { Limit: 2, ExclusiveStartKey: { pk: RUNNING.pk, sk: RUNNING.sk } });
    const report = JSON.parse(stdout) as { service: string; deployments: Record<string, unknown>[] };
    expect(report.service).toBe('web');
    expect(report.deployments).toEqual([
      {
        status: 'IN_PROGRESS',
        image: RUNNING.image,
        imageTag: 'v1.6.0',
        startedBy: 'alice',
        requested: 'hotfix for the login page',
        startedAt: RUNNING.startedAt,
        cause: RUNNING.reason,
        executionArn: RUNNING.executionArn,
      },
      {
        status: 'SUCCEEDED',
        image: SUCCEEDED.image,
        imageTag: 'v1.5.0',
        startedBy: 'ecr-push',
        requested: 'push of web:v1.5.0',
        startedAt: SUCCEEDED.startedAt,
        endedAt: SUCCEEDED.endedAt,
        cause: 'web runs web:8, verified',
      },
    ]);
  });

  it('lists a VM service\'s deployments by release, from its own history', async () => {
    // Prepare
    table.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'SERVICE#api-vm',
          sk: 'DEPLOY#2026-02-02T09:00:00.000Z#api-vm-1a2b',
          status: 'SUCCEEDED',
          image: 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz',
          imageTag: '1.4.0',
          startedBy: 's3-upload',
          startedAt: '2026-02-02T09:00:00.000Z',
          endedAt: '2026-02-02T09:20:00.000Z',
        },
      ],
    });

    // Act
    const { code, stdout } = await run('history', 'api-vm');

    // Assess
    expect(code).toBe(0);
    expect(table).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SERVICE#api-vm', ':deploy': 'DEPLOY#' } });
    expect(stdout).toBe(['api-vm: the last 1 deployment, newest first', '', '2026-02-02 09:00:00Z  SUCCEEDED    20m        1.4.0           by s3-upload', ''].join('\n'));
  });

  it('says so when the service was never deployed', async () => {
    // Act
    const { code, stdout } = await run('history', 'checkout');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('checkout: no deployment recorded yet\n');
  });

  it.each([
    { argv: ['history', 'web', '--limit', '0'], message: "deployer: --limit: '0' is not a whole number from 1 to 1000; e.g. --limit 10\n" },
    { argv: ['history', 'web', '--limit', '2.5'], message: "deployer: --limit: '2.5' is not a whole number from 1 to 1000; e.g. --limit 10\n" },
    { argv: ['history', 'nope'], message: "deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm, worker-vm, portal-vm\n" },
  ])('exits 2 before any AWS call for $argv', async ({ argv, message }) => {
    // Act
    const { code, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});

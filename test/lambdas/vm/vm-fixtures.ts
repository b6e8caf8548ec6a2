/**
 * What the VM handler tests share: a validated VM deployment (as ValidateInput
 * builds it from a `vm:` service), and a ledger kept in memory behind the
 * mocked DynamoDB document client, so a test describes the hosts, not each call.
 */
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { ServiceInputTypes, ServiceOutputTypes, DynamoDBDocumentClientResolvedConfig } from '@aws-sdk/lib-dynamodb';
import { hostLedgerPartitionKey, VmDeploymentSchema, type VmDeployment } from '../../../lambdas/shared/vm-deployment.ts';
import type { LedgerItem } from '../../../lambdas/vm/host-ledger.ts';
import { ACCOUNT, REGION } from '../../support/lambda-fixtures.ts';

export const ARTIFACT_SHA256 = 'a'.repeat(64);
export const API_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/api/0123456789abcdef`;
export const EXECUTION_NAME = 'api-0f3c2a9d';

/** A rolling deployment of `api` v2 to the SSM instances tagged app=api, behind a target group. */
export function vmDeployment(overrides: Partial<VmDeployment> = {}): VmDeployment {
  return VmDeploymentSchema.parse({
    service: 'api',
    kind: 'vm',
    strategy: 'rolling',
    image: 's3://acme-artifacts/api/api-2.0.0.tar.gz',
    imageTag: '2.0.0',
    artifact: { bucket: 'acme-artifacts', key: 'api/api-2.0.0.tar.gz', version: '2.0.0', sha256: ARTIFACT_SHA256 },
    startedBy: 's3-upload',
    requestedAt: '2026-01-31T12:00:00.000Z',
    executionId: `arn:aws:states:${REGION}:${ACCOUNT}:execution:EcsDeployer-vm-rolling:${EXECUTION_NAME}`,
    executionName: EXECUTION_NAME,
    executionStartTime: '2026-01-31T12:00:01.000Z',
    release: {
      installDir: '/opt/api',
      keepReleases: 5,
      minFreeMb: 100,
      startCommand: 'systemctl start "$SERVICE_NAME"',
      stopCommand: 'systemctl stop "$SERVICE_NAME"',
      useSudo: true,
      serviceTimeoutSeconds: 120,
      downloadTimeoutSeconds: 900,
      healthUrl: 'http://127.0.0.1:8080/health',
      healthExpect: '"status":"UP"',
      healthRetries: 10,
      healthIntervalSeconds: 3,
      smokeCommands: [],
      configVars: {},
    },
    targets: { executor: 'ssm', ec2Tags: { app: 'api', env: 'prod' }, targetGroupArn: API_TG, targetPort: 8080 },
    batches: ['25%', '50%', '100%'],
    maxErrors: 0,
    unreachableHosts: 'fail',
    canaryBakeSeconds: 0,
    canaryApproval: false,
    steps: [],
    verification: { alarms: [], preexistingAlarms: 'report', intervalSeconds: 30 },
    bakeSeconds: 300,
    batchTimeoutSeconds: 1800,
    keepWarmSeconds: 0,
    approvalTimeoutSeconds: 3600,
    ...overrides,
  });
}

/** `i-00000000000000001`, … */
export function instanceId(n: number): string {
  return `i-${String(n).padStart(17, '0')}`;
}

/** A pending SSM host of the ledger. */
export function ledgerItem(host: string, batch: number, extra: Partial<LedgerItem> = {}): LedgerItem {
  return { host, executor: 'ssm', group: 'fleet', batch, status: 'pending', changed: false, ...extra };
}

type DocumentMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, DynamoDBDocumentClientResolvedConfig>;

/** The ledger behind `ddbMock`: Query reads a partition, UpdateItem SETs fields (creating the item unless conditional). Returns the live map (by host). */
export function fakeLedger(ddbMock: DocumentMock, executionName = EXECUTION_NAME, initial: readonly LedgerItem[] = []): Map<string, LedgerItem> {
  const pk = hostLedgerPartitionKey(executionName);
  const items = new Map<string, LedgerItem>(initial.map((i) => [i.host, structuredClone(i)]));
  ddbMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
    Items: input.ExpressionAttributeValues[':pk'] === pk ? [...items.values()].map((i) => ({ pk, sk: i.host, ...structuredClone(i) })) : [],
  }));
  ddbMock.on(UpdateCommand).callsFake(
    (input: { Key: { sk: string }; ConditionExpression?: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }) => {
      const existing = items.get(input.Key.sk);
      if (existing === undefined && input.ConditionExpression !== undefined) {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      }
      const item = existing ?? ({} as LedgerItem);
      items.set(input.Key.sk, item);
      for (const [placeholder, field] of Object.entries(input.ExpressionAttributeNames)) {
        (item as Record<string, unknown>)[field] = input.ExpressionAttributeValues[placeholder.replace('#f', ':v')];
      }
      return {};
    },
  );
  return items;
}

export { DynamoDBDocumentClient };

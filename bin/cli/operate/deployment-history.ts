/**
 * A service's deployment history as the CLI reads it from the deployer's
 * table: one item per execution (`pk = SERVICE#<name>`, `sk =
 * DEPLOY#<start>#<name>`, written by RecordEvent), newest first. Used by
 * `deployer history`, by `deployer rollback` to find the image to go back
 * to, and by `watch` for how a deployment ended.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { historySortKey, servicePartitionKey } from '../../../lambdas/shared/deployment.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import type { OperatorContext } from './operator-context.ts';

/** The attributes read: not the stored deployment and snapshot, which only a restore run needs. */
const ATTRIBUTES = ['status', 'image', 'imageTag', 'previousImage', 'startedBy', 'startedAt', 'endedAt', 'reason', 'error', 'executionArn', 'restore'];

/**
 * What the start of the deployment asked for, kept in the stored deployment
 * (`deploymentJson`): its reason and, for a VM deployment, the artifact's
 * SHA-256 it was verified against.
 */
const StoredRequestSchema = z.object({
  reason: z.string().optional(),
  artifact: z.object({ sha256: z.string() }).optional(),
});

const HistoryItemSchema = z.object({
  sk: z.string(),
  /** IN_PROGRESS, SUCCEEDED, ROLLED_BACK, FAILED, SUPERSEDED, ABORTED, TIMED_OUT. */
  status: z.string(),
  /** The image deployed, pinned by digest. */
  image: z.string().optional(),
  imageTag: z.string().optional(),
  /** What the service ran before. */
  previousImage: z.string().optional(),
  /** `ecr-push`, `console`, or the operator of `deployer deploy`. */
  startedBy: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** The outcome in one sentence (why it ended as it did). */
  reason: z.string().optional(),
  error: z.string().optional(),
  executionArn: z.string().optional(),
  /** The watcher's restore after a stop or a timeout: SUCCEEDED or FAILED. */
  restore: z.string().optional(),
  deploymentJson: z.string().optional(),
});

/** One deployment of the history. */
export interface DeploymentRecord {
  status: string;
  image?: string;
  imageTag?: string;
  previousImage?: string;
  startedBy?: string;
  /** Why it was started, as given with `--reason` or in the input (`push of web:v1.4.0`). */
  requested?: string;
  /** VM deployments: the SHA-256 the artifact (`image`, its S3 URI) was verified against. */
  sha256?: string;
  startedAt?: string;
  endedAt?: string;
  /** Why it ended as it did. */
  cause?: string;
  error?: string;
  executionArn?: string;
  restore?: string;
}

function storedRequest(deploymentJson: string | undefined): z.output<typeof StoredRequestSchema> {
  if (deploymentJson === undefined) return {};
  try {
    const parsed = StoredRequestSchema.safeParse(JSON.parse(deploymentJson));
    return parsed.success ? parsed.data : {};
  } catch {
    // Not JSON (written by another version): the request's reason and checksum are unknown.
    return {};
  }
}

/** A stored item as a record; undefined when it is not one the CLI can read. */
function recordOf(item: Record<string, unknown> | undefined): DeploymentRecord | undefined {
  const parsed = HistoryItemSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const { sk: _sk, deploymentJson, reason, ...fields } = parsed.data;
  const record: DeploymentRecord = { ...fields };
  const stored = storedRequest(deploymentJson);
  if (stored.reason !== undefined) record.requested = stored.reason;
  if (stored.artifact !== undefined) record.sha256 = stored.artifact.sha256;
  if (reason !== undefined) record.cause = reason;
  return record;
}

/** The attributes to read, with `#names` (several are DynamoDB reserved words). */
function projection(): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names = [...ATTRIBUTES, 'sk', 'deploymentJson'];
  return {
    ProjectionExpression: names.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
  };
}

/**
 * The service's deployments, newest first, one Query page at a time (a
 * page may hold fewer than `pageSize` when items are large).
 */
export async function* historyPages(ctx: OperatorContext, service: string, pageSize: number): AsyncGenerator<DeploymentRecord[]> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await awsRequest('dynamodb:Query', () =>
      ctx.clients.table.send(
        new QueryCommand({
          TableName: ctx.stack.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
          ExpressionAttributeValues: { ':pk': servicePartitionKey(service), ':deploy': 'DEPLOY#' },
          ProjectionExpression,
          ExpressionAttributeNames,
          ScanIndexForward: false,
          Limit: pageSize,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      ),
    );
    const records = (out.Items ?? []).map(recordOf).filter((r): r is DeploymentRecord => r !== undefined);
    yield records;
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
}

/** The newest `limit` deployments of the service. */
export async function readHistory(ctx: OperatorContext, service: string, limit: number): Promise<DeploymentRecord[]> {
  const records: DeploymentRecord[] = [];
  for await (const page of historyPages(ctx, service, limit)) {
    records.push(...page);
    if (records.length >= limit) break;
  }
  return records.slice(0, limit);
}

/** The history item of one execution (undefined when it recorded none: rejected, or stopped before it started). */
export async function readDeploymentRecord(
  ctx: OperatorContext,
  service: string,
  execution: { name: string; startDate: Date },
): Promise<DeploymentRecord | undefined> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection();
  const out = await awsRequest('dynamodb:GetItem', () =>
    ctx.clients.table.send(
      new GetCommand({
        TableName: ctx.stack.tableName,
        Key: { pk: servicePartitionKey(service), sk: historySortKey(execution.startDate.toISOString(), execution.name) },
        ProjectionExpression,
        ExpressionAttributeNames,
        ConsistentRead: true,
      }),
    ),
  );
  return recordOf(out.Item);
}

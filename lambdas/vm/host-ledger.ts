/**
 * The per-host ledger of a VM deployment, in the deployment table: one item
 * per host under `pk = HOSTS#<executionName>`, `sk = <host id>`. It holds
 * what would overflow the execution state for a large fleet: each host's
 * batch, the release it served before, the phase it reached, the command or
 * detached run that acts on it, and whether it is out of its target group.
 * Rollback reads it to touch only the hosts this execution changed.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { issueMessage } from '../shared/format-issues.ts';
import { hostLedgerEntryFields, hostLedgerPartitionKey } from '../shared/vm-deployment.ts';
import { documentClient, tableName } from '../shared/table.ts';

/** A ledger item: the contract's entry and what the executors need to find the host's run again. */
export const LedgerItemSchema = z.lazy(() => z.object({
  ...hostLedgerEntryFields(),
  /** The address the health URL template's `{address}`/`{privateIp}` stand for (SSM: the private IP). */
  address: z.optional(z.string()),
  /** The SSM command now acting on the host. */
  commandId: z.optional(z.string()),
  /** The detached SSH run now acting on the host. */
  runId: z.optional(z.string()),
  /** When the current command or run was sent (epoch ms). */
  sentAt: z.optional(z.number()),
  /** What the current command or run does. */
  mode: z.optional(z.enum(['deploy', 'rollback'])),
  /** True while the deployer holds the host out of its target group. */
  deregistered: z.optional(z.boolean()),
}));
export type LedgerItem = z.output<typeof LedgerItemSchema>;

/** A deploy still running on the host as far as the ledger knows (a stopped execution left it going): a rollback cancels it first. */
export function isDeployStillRunning(item: LedgerItem): boolean {
  return item.status === 'running' && item.mode === 'deploy';
}

/** The fields of an item that change as a run goes on. */
export type LedgerPatch = Partial<Omit<LedgerItem, 'host' | 'executor' | 'group' | 'batch'>>;

/** Items written at once. */
const WRITE_CONCURRENCY = 16;

/** Write the ledger of an execution (ResolveHosts: one item per host; a retried write rewrites the same items). */
export async function putLedger(executionName: string, items: readonly LedgerItem[]): Promise<void> {
  await pMap(items, (item) => writeItem(executionName, item.host, item, false), { concurrency: WRITE_CONCURRENCY });
}

/** Every host of an execution's ledger, in host order. */
export async function readLedger(executionName: string): Promise<LedgerItem[]> {
  const items: LedgerItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await awsCall('dynamodb:Query (host ledger)', () =>
      documentClient().send(
        new QueryCommand({
          TableName: tableName(),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': hostLedgerPartitionKey(executionName) },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    for (const raw of page.Items ?? []) items.push(LedgerItemSchema.parse(raw, { error: issueMessage }));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** The hosts of one batch of one group. */
export async function readBatch(executionName: string, group: LedgerItem['group'], batch: number): Promise<LedgerItem[]> {
  return (await readLedger(executionName)).filter((item) => item.group === group && item.batch === batch && item.status !== 'skipped');
}

/** Change some fields of one host's item. */
export function updateLedger(executionName: string, host: string, patch: LedgerPatch): Promise<void> {
  return writeItem(executionName, host, patch, true);
}

/** SET the given fields of a host's item; `existing`: only if the item exists. */
async function writeItem(executionName: string, host: string, patch: Readonly<Record<string, unknown>>, existing: boolean): Promise<void> {
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = entries.map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  await awsCall('dynamodb:UpdateItem (host ledger)', () =>
    documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: hostLedgerPartitionKey(executionName), sk: host },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ...(existing ? { ConditionExpression: 'attribute_exists(pk)' } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

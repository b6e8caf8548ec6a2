/**
 * The per-service deployment lock.
 *
 * One item per service holds `holder` (the execution deploying it) and
 * `latest*` (the newest deployment asked for). A deployment first registers
 * as the newest unless a newer one already did (then it is superseded), and
 * takes the lock only while it is the newest and nobody holds it. So while
 * one deployment runs, waiting ones never interleave with it, and when it
 * ends only the newest waiting one proceeds: the others find they were
 * superseded at their next poll.
 *
 * A holder that ended without releasing the lock (its status-change event
 * was lost) is taken over by the newest waiting deployment: see
 * `takeOverLock` and the AcquireLock handler.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsCall } from './aws-call.ts';
import { LOCK_SORT_KEY, servicePartitionKey } from './deployment.ts';
import { WAITER_ATTRIBUTE, waiterOf, wakeWaiter } from './lock-waiter.ts';
import { APPROVAL_ATTRIBUTE, PROMOTE_ATTRIBUTE } from './operator-requests.ts';
import { documentClient, isConditionFailure, itemOfConditionFailure, tableName } from './table.ts';

export type LockStatus = 'ACQUIRED' | 'WAITING' | 'SUPERSEDED';

export interface LockResult {
  status: LockStatus;
  /** Execution holding the lock (WAITING) or the newer deployment (SUPERSEDED). */
  holder?: string;
  /** Human explanation, used as the Cause of the `Superseded` Fail state. */
  reason?: string;
  /** WAITING: since when the holder has held the lock (ISO). */
  heldSince?: string;
}

export interface LockRequest {
  service: string;
  executionId: string;
  image: string;
  /** ISO-8601 UTC with milliseconds, so strings order like times. */
  requestedAt: string;
  now: string;
}

function lockKey(service: string): { pk: string; sk: string } {
  return { pk: servicePartitionKey(service), sk: LOCK_SORT_KEY };
}

function str(item: Record<string, unknown> | undefined, field: string): string | undefined {
  const value = item?.[field];
  return typeof value === 'string' ? value : undefined;
}

function supersededBy(service: string, item: Record<string, unknown> | undefined): LockResult {
  const newer = str(item, 'latestExecution') ?? 'unknown';
  const result: LockResult = {
    status: 'SUPERSEDED',
    holder: newer,
    reason: `a newer deployment of ${service} (${str(item, 'latestImage') ?? 'unknown image'}, requested at ${str(item, 'latestRequestedAt') ?? '?'}, execution ${newer}) replaced this one before it started; nothing was changed`,
  };
  return result;
}

/** Try to take the service lock for this execution. */
export async function acquireLock(request: LockRequest): Promise<LockResult> {
  const client = documentClient();
  const Key = lockKey(request.service);
  const me = request.executionId;

  // 1. Register as the newest deployment asked for, unless a newer one exists.
  try {
    await awsCall('dynamodb:UpdateItem (register)', () =>
      client.send(
        new UpdateCommand({
          TableName: tableName(),
          Key,
          UpdateExpression: 'SET latestExecution = :me, latestRequestedAt = :at, latestImage = :image',
          ConditionExpression:
            'attribute_not_exists(latestRequestedAt) OR latestRequestedAt < :at OR (latestRequestedAt = :at AND latestExecution <= :me)',
          ExpressionAttributeValues: { ':me': me, ':at': request.requestedAt, ':image': request.image },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const item = itemOfConditionFailure(error);
    // Once a deployment runs it finishes; the newer one waits for it.
    if (str(item, 'holder') === me) return { status: 'ACQUIRED', holder: me };
    return supersededBy(request.service, item);
  }

  // 2. Take the lock if it is free and we are still the newest.
  try {
    await awsCall('dynamodb:UpdateItem (take)', () =>
      client.send(
        new UpdateCommand({
          TableName: tableName(),
          Key,
          UpdateExpression: 'SET holder = :me, holderImage = :image, heldSince = :now',
          ConditionExpression: '(attribute_not_exists(holder) OR holder = :me) AND latestExecution = :me',
          ExpressionAttributeValues: { ':me': me, ':image': request.image, ':now': request.now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { status: 'ACQUIRED', holder: me };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const item = itemOfConditionFailure(error);
    if (str(item, 'holder') === me) return { status: 'ACQUIRED', holder: me };
    if (str(item, 'latestExecution') !== me) return supersededBy(request.service, item);
    const holder = str(item, 'holder') ?? 'unknown';
    const heldSince = str(item, 'heldSince');
    return {
      status: 'WAITING',
      holder,
      ...(heldSince === undefined ? {} : { heldSince }),
      reason: `${request.service} is being deployed by ${holder} (${str(item, 'holderImage') ?? '?'}); waiting for it to end`,
    };
  }
}

/**
 * Hand the lock from `holder` to `successor` (the watcher gives a stopped
 * execution's lock to the restore run it starts); true when `holder` still
 * held it.
 */
export async function handOverLock(service: string, holder: string, successor: string, now: string): Promise<boolean> {
  try {
    await awsCall('dynamodb:UpdateItem (hand over)', () =>
      documentClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: lockKey(service),
          UpdateExpression: `SET holder = :next, heldSince = :now REMOVE ${APPROVAL_ATTRIBUTE}, ${PROMOTE_ATTRIBUTE}`,
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':next': successor, ':holder': holder, ':now': now },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Who holds a service's lock, and since when. */
export interface LockState {
  holder?: string;
  /** ISO time the holder took it. */
  heldSince?: string;
}

/** The holder of a service's lock (and since when), if any. */
export async function lockState(service: string): Promise<LockState> {
  const result = await awsCall('dynamodb:GetItem (lock)', () =>
    documentClient().send(new GetCommand({ TableName: tableName(), Key: lockKey(service), ConsistentRead: true })),
  );
  const holder = str(result.Item, 'holder');
  const heldSince = str(result.Item, 'heldSince');
  return { ...(holder === undefined ? {} : { holder }), ...(heldSince === undefined ? {} : { heldSince }) };
}

/** The holder of a service's lock, if any. */
export async function lockHolder(service: string): Promise<string | undefined> {
  return (await lockState(service)).holder;
}

/**
 * Take the lock from `staleHolder`, an execution that has ended without
 * releasing it, if it still holds it and this execution is still the newest
 * asked for; true when taken.
 */
export async function takeOverLock(request: LockRequest, staleHolder: string): Promise<boolean> {
  try {
    await awsCall('dynamodb:UpdateItem (take over)', () =>
      documentClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: lockKey(request.service),
          UpdateExpression: 'SET holder = :me, holderImage = :image, heldSince = :now',
          ConditionExpression: 'holder = :stale AND latestExecution = :me',
          ExpressionAttributeValues: { ':me': request.executionId, ':stale': staleHolder, ':image': request.image, ':now': request.now },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Release the lock if this execution holds it; true when it did. A pending
 * approval or promote request of the holder goes with it, and the newest
 * waiting deployment is woken to take the lock.
 */
export async function releaseLock(service: string, executionId: string): Promise<boolean> {
  try {
    const result = await awsCall('dynamodb:UpdateItem (release)', () =>
      documentClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: lockKey(service),
          UpdateExpression: `REMOVE holder, holderImage, heldSince, ${APPROVAL_ATTRIBUTE}, ${PROMOTE_ATTRIBUTE}, ${WAITER_ATTRIBUTE}`,
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': executionId },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const waiter = waiterOf(result.Attributes);
    if (waiter !== undefined) await wakeWaiter(waiter);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Forget `executionArn` as the newest deployment asked for, if it still is
 * (it was stopped while it waited): the deployments waiting behind it would
 * otherwise find themselves superseded by one that will never run.
 */
export async function forgetWaiter(service: string, executionArn: string): Promise<boolean> {
  try {
    await awsCall('dynamodb:UpdateItem (forget waiter)', () =>
      documentClient().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: lockKey(service),
          UpdateExpression: 'REMOVE latestExecution, latestRequestedAt, latestImage',
          ConditionExpression: 'latestExecution = :me',
          ExpressionAttributeValues: { ':me': executionArn },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Where a running deployment is, read from the newest events of its
 * execution history: the state it entered last, and from the newest state
 * input or output that carries them, `$.progress` (step, weight, phase),
 * `$.verification.verdict` and `$.deployment` (who started it, its steps).
 * A VM deployment's batches run in a Map whose iterations carry `$.batch`
 * (its index), `$.hosts` (the fleet in numbers) and, once polled,
 * `$.progress` (the batch's hosts done, failed, running); its rollback
 * carries `$.rollbackProgress`.
 */
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { ProgressSchema, type Progress } from '../../../lambdas/shared/operator-requests.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import type { OperatorContext } from './operator-context.ts';

/** How many of the newest history events are read: enough for several verification rounds. */
export const HISTORY_EVENTS_READ = 100;

const VerificationSchema = z.object({ verdict: z.string() });

const DeploymentSeenSchema = z.object({
  startedBy: z.string().optional(),
  reason: z.string().optional(),
  /** Only counted: the step kinds may grow without the CLI losing the rest. */
  steps: z.array(z.unknown()).optional(),
  loadBalancer: z.object({ listenerArn: z.string() }).optional(),
});

/** What the deployment carried in its state (`$.deployment`), as far as status shows it. */
export type DeploymentSeen = z.output<typeof DeploymentSeenSchema>;

/** A VM batch's (or rollback's) hosts by state: what PollSsmBatch and PollSshBatch return (lambdas/vm/batch-progress.ts). */
const HostCountsSchema = z.object({
  hostCount: z.number().int().min(0),
  succeeded: z.number().int().min(0),
  failed: z.number().int().min(0),
  running: z.number().int().min(0),
});

/** Hosts of a VM batch or rollback by state. */
export type HostCounts = z.output<typeof HostCountsSchema>;

/** The fleet a VM batch belongs to (`$.hosts`, from ResolveHosts): only what the progress shows. */
const FleetSeenSchema = z.object({ group: z.enum(['fleet', 'blue', 'green']), batchCount: z.number().int().min(1) });

/** The VM batch a deployment works on. */
export interface BatchSeen {
  /** 0-based. */
  index: number;
  count: number;
  /** `fleet`, or the blue-green group being deployed. */
  group: 'fleet' | 'blue' | 'green';
  /** Once the batch was polled. */
  hosts?: HostCounts;
}

/** What the execution history says about a running deployment. */
export interface ExecutionProgress {
  /** The state entered last, and when (ISO-8601). */
  state?: { name: string; enteredAt: string };
  progress?: Progress;
  /** The last verification verdict. */
  verdict?: string;
  deployment?: DeploymentSeen;
  /** VM deployments: the batch the newest states work on, while the batches run. */
  batch?: BatchSeen;
  /** VM deployments: how the hosts' return to their releases stands, during a rollback. */
  hostRollback?: HostCounts;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Truncated (over 256 KiB) or not JSON: nothing to read.
    return undefined;
  }
}

/** The JSON state an event carries: a state's input when entered, its output when exited. */
function stateDocument(event: HistoryEvent): Record<string, unknown> | undefined {
  const doc = parseJson(event.stateEnteredEventDetails?.input ?? event.stateExitedEventDetails?.output);
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}

/** The batch a state document of a VM batch iteration works on, if it is one. */
function batchOf(doc: Record<string, unknown>): BatchSeen | undefined {
  if (typeof doc.batch !== 'number' || !Number.isInteger(doc.batch)) return undefined;
  const fleet = FleetSeenSchema.safeParse(doc.hosts);
  if (!fleet.success) return undefined;
  const batch: BatchSeen = { index: doc.batch, count: fleet.data.batchCount, group: fleet.data.group };
  const hosts = HostCountsSchema.safeParse(doc.progress);
  if (hosts.success) batch.hosts = hosts.data;
  return batch;
}

/** Fold the events, newest first, into what they say. */
export function progressOfEvents(events: readonly HistoryEvent[]): ExecutionProgress {
  const result: ExecutionProgress = {};
  // Older batches than the newest Map's boundary belong to a Map that has ended (or not begun): not where the deployment is.
  let batchesEnded = false;
  for (const event of events) {
    if (result.batch === undefined && event.type?.startsWith('MapState') === true) batchesEnded = true;
    const entered = event.stateEnteredEventDetails;
    if (result.state === undefined && entered?.name !== undefined) {
      result.state = { name: entered.name, enteredAt: (event.timestamp ?? new Date(0)).toISOString() };
    }
    const doc = stateDocument(event);
    if (doc === undefined) continue;
    if (result.progress === undefined) {
      const progress = ProgressSchema.safeParse(doc.progress);
      if (progress.success) result.progress = progress.data;
    }
    if (result.verdict === undefined) {
      const verification = VerificationSchema.safeParse(doc.verification);
      if (verification.success) result.verdict = verification.data.verdict;
    }
    if (result.deployment === undefined) {
      const deployment = DeploymentSeenSchema.safeParse(doc.deployment);
      if (deployment.success) result.deployment = deployment.data;
    }
    if (result.batch === undefined && !batchesEnded) {
      const batch = batchOf(doc);
      if (batch !== undefined) result.batch = batch;
    }
    if (result.hostRollback === undefined) {
      const rollback = HostCountsSchema.safeParse(doc.rollbackProgress);
      if (rollback.success) result.hostRollback = rollback.data;
    }
  }
  return result;
}

/** Read the newest {@link HISTORY_EVENTS_READ} events of the execution. */
export async function readExecutionProgress(ctx: OperatorContext, executionArn: string): Promise<ExecutionProgress> {
  const out = await awsRequest('states:GetExecutionHistory', () =>
    ctx.clients.stepFunctions.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: HISTORY_EVENTS_READ, includeExecutionData: true }),
    ),
  );
  return progressOfEvents(out.events ?? []);
}

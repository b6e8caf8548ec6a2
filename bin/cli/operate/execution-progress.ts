/**
 * Where a running deployment is, read from the newest events of its
 * execution history: the state it entered last, and from the newest state
 * input or output that carries them, `$.progress` (step, weight, phase),
 * `$.verification.verdict` and `$.deployment` (who started it, its steps).
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

/** What the execution history says about a running deployment. */
export interface ExecutionProgress {
  /** The state entered last, and when (ISO-8601). */
  state?: { name: string; enteredAt: string };
  progress?: Progress;
  /** The last verification verdict. */
  verdict?: string;
  deployment?: DeploymentSeen;
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

/** Fold the events, newest first, into what they say. */
export function progressOfEvents(events: readonly HistoryEvent[]): ExecutionProgress {
  const result: ExecutionProgress = {};
  for (const event of events) {
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

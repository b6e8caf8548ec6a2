/**
 * PollSsmBatch: where a batch's SSM commands stand (one
 * ListCommandInvocations per command, not one call per host), each ended
 * host's result and output tail written to the ledger.
 *
 * Known traps, handled on purpose:
 * - right after SendCommand an invocation may not exist yet
 *   (InvocationDoesNotExist, or an empty list): not yet, not a failure;
 * - an invocation still Pending or Delayed after the delivery timeout (an
 *   agent that stopped answering) fails its host;
 * - ListCommandInvocations keeps 2,500 characters of output: when the
 *   script's result line is not in them, GetCommandInvocation (24,000) is read.
 */
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SSMClient,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { awsCall, errorName, sdkErrorOf } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { now } from '../shared/clock.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { deliveryTimeoutSeconds } from './batch-plan.ts';
import { assertBatchOutcome, batchProgress, lostRunPatch, verdictPatch, type BatchProgress } from './batch-progress.ts';
import { updateLedger, type LedgerItem, type LedgerPatch } from './host-ledger.ts';
import { parseReleaseOutput, releaseVerdict } from './release-result.ts';
import { hostsStarted, RunEventSchema, runTimeoutMs } from './run-selection.ts';

export const ssm = lazyClient(() => new SSMClient({}));

/** Slack on SSM's own timeouts before the deployer gives up on a host. */
const GRACE_MS = 60_000;
const ENDED = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
const NOT_YET = new Set(['InvocationDoesNotExist', 'InvalidCommandId']);

/** Every invocation of a command, by instance; empty when SSM does not know them yet. */
async function invocationsOf(commandId: string): Promise<Map<string, CommandInvocation>> {
  const out = new Map<string, CommandInvocation>();
  let nextToken: string | undefined;
  try {
    do {
      const page = await awsCall('ssm:ListCommandInvocations', () =>
        ssm().send(
          new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, ...(nextToken === undefined ? {} : { NextToken: nextToken }) }),
        ),
      );
      for (const invocation of page.CommandInvocations ?? []) if (invocation.InstanceId !== undefined) out.set(invocation.InstanceId, invocation);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    if (!NOT_YET.has(errorName(sdkErrorOf(error)))) throw error;
  }
  return out;
}

/** The output of an ended invocation, read in full (24,000 characters) when the listed part lacks the result line. */
async function outputOf(commandId: string, instanceId: string, listed: string): Promise<string> {
  if (listed.includes('DEPLOYER_RESULT ')) return listed;
  try {
    const full = await awsCall('ssm:GetCommandInvocation', () =>
      ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
    );
    return `${full.StandardOutputContent ?? ''}\n${full.StandardErrorContent ?? ''}`;
  } catch (error) {
    if (NOT_YET.has(errorName(sdkErrorOf(error)))) return listed;
    throw error;
  }
}

/** What happened to one running host, or undefined while it runs. */
async function hostOutcome(
  mode: 'deploy' | 'rollback',
  item: LedgerItem,
  invocation: CommandInvocation | undefined,
  limits: { deliveryMs: number; runMs: number },
): Promise<LedgerPatch | undefined> {
  const age = now() - (item.sentAt ?? 0);
  const status = invocation?.Status;
  if (status === undefined || status === 'Pending' || status === 'Delayed') {
    if (age <= limits.deliveryMs + GRACE_MS) return undefined;
    return lostRunPatch(
      mode,
      item,
      `SSM did not deliver the command within ${Math.round(limits.deliveryMs / 1000)} s (${status ?? 'no invocation'}${invocation?.StatusDetails === undefined ? '' : `: ${invocation.StatusDetails}`}): is the agent running?`,
    );
  }
  if (!ENDED.has(status)) {
    if (age <= limits.deliveryMs + limits.runMs + GRACE_MS) return undefined;
    return lostRunPatch(mode, item, `the command did not end within the batch timeout (SSM: ${status})`);
  }
  const plugin = invocation?.CommandPlugins?.[0];
  const output = await outputOf(item.commandId ?? '', item.host, plugin?.Output ?? '');
  const outcome = parseReleaseOutput(output);
  const code = plugin?.ResponseCode;
  const verdict = releaseVerdict(typeof code === 'number' && code >= 0 ? code : null, outcome);
  if (outcome.result === undefined) verdict.message = `${verdict.message} (SSM: ${status}${invocation?.StatusDetails === undefined ? '' : `, ${invocation.StatusDetails}`})`;
  return verdictPatch(
    mode,
    item,
    verdict,
    outcome.phases.map((p) => p.name),
    outcome.tail,
  );
}

export const handler = createHandler(RunEventSchema, async function pollSsmBatch(event): Promise<BatchProgress> {
  const { deployment } = event;
  const items = await hostsStarted(event, 'ssm');
  const running = items.filter((i) => i.status === 'running' && i.commandId !== undefined);
  const limits = { deliveryMs: deliveryTimeoutSeconds(deployment.batchTimeoutSeconds) * 1000, runMs: runTimeoutMs(deployment) };
  const invocations = new Map<string, Map<string, CommandInvocation>>();
  for (const commandId of new Set(running.map((i) => i.commandId!))) invocations.set(commandId, await invocationsOf(commandId));

  const updated = new Map(items.map((i) => [i.host, i]));
  for (const item of running) {
    const patch = await hostOutcome(event.mode, item, invocations.get(item.commandId!)?.get(item.host), limits);
    if (patch === undefined) continue;
    await updateLedger(deployment.executionName, item.host, patch);
    updated.set(item.host, { ...item, ...patch } as LedgerItem);
  }
  const after = [...updated.values()];
  const progress = batchProgress(deployment, event.mode, after);
  logger.info('batch progress', { serviceName: deployment.service, mode: event.mode, ...progress });
  assertBatchOutcome(
    event.mode,
    event.mode === 'deploy' ? event.batch : 0,
    progress,
    after.filter((i) => i.status === 'failed' || i.status === 'rollback-failed').map((i) => i.host),
  );
  return progress;
});

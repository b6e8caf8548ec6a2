/**
 * Follow one execution to its end, printing its progress (`deployer watch`,
 * `deployer deploy --wait`): every poll reads the execution's status, the
 * newest events of its history (state, step or VM batch, verdict) and, for
 * an ECS canary and every blue-green, the listener's traffic split. At the
 * end the outcome is read as the rest of the deployer reads it (the
 * history's record, else the execution's error);
 * a deployment stopped or timed out after it changed something is followed
 * on through the watcher's restore run, until the service is back.
 */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { isVmService, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import { isUncleanEnd } from '../../../lambdas/shared/execution-status.ts';
import { describeFailure } from '../../../lambdas/shared/failure.ts';
import { deploymentOutcome, type Outcome } from '../../../lambdas/shared/outcome.ts';
import { restoreExecutionName, siblingExecutionArn } from '../../../lambdas/shared/restore.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import { readDeploymentRecord, type DeploymentRecord } from './deployment-history.ts';
import { readExecutionProgress } from './execution-progress.ts';
import { commandLine } from './follow-up.ts';
import { listenerOf, readListenerTraffic, targetGroupLabels } from './listener-traffic.ts';
import type { OperatorContext } from './operator-context.ts';
import { durationText, ProgressLines, timedLine, type ProgressView } from './progress-lines.ts';
import { executionNameOf } from './running-deployment.ts';
import { configuredSteps } from './service-status.ts';

/** How many polls to wait for the watcher to start a restore run (EventBridge delivers within seconds). */
export const RESTORE_WAIT_POLLS = 12;

/** How a followed deployment ended. */
export interface FollowResult {
  outcome: Outcome;
  /** Why, in one sentence, when the deployer said. */
  cause?: string;
}

async function describe(ctx: OperatorContext, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return awsRequest('states:DescribeExecution', () => ctx.clients.stepFunctions.send(new DescribeExecutionCommand({ executionArn })));
}

/** The execution, or undefined while Step Functions does not know it (yet). */
async function describeIfExists(ctx: OperatorContext, executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await describe(ctx, executionArn);
  } catch (error) {
    if (error instanceof AwsFailure && error.awsErrorName === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

function kindOf(svc: ServiceConfig): 'ecs' | 'vm' {
  return isVmService(svc) ? 'vm' : 'ecs';
}

/** What one poll of a running execution sees. */
async function look(ctx: OperatorContext, svc: ServiceConfig, executionArn: string): Promise<ProgressView> {
  const seen = await readExecutionProgress(ctx, executionArn);
  const view: ProgressView = { seen };
  const steps = seen.deployment?.steps?.length ?? configuredSteps(svc);
  if (steps !== undefined && steps > 0) view.steps = steps;
  const listener = seen.deployment?.loadBalancer?.listenerArn ?? listenerOf(svc);
  if (listener !== undefined) view.traffic = await readListenerTraffic(ctx, listener, targetGroupLabels(svc));
  return view;
}

/**
 * Poll `first` (the execution as last described) until it is no longer
 * RUNNING, printing what moved; returns its final description.
 */
async function pollToEnd(
  ctx: OperatorContext,
  svc: ServiceConfig,
  first: DescribeExecutionCommandOutput,
  executionArn: string,
  lines: ProgressLines,
  pollMs: number,
): Promise<DescribeExecutionCommandOutput> {
  let out = first;
  while (out.status === 'RUNNING') {
    ctx.io.stdout(lines.next(await look(ctx, svc, executionArn), new Date()));
    await ctx.io.sleep(pollMs);
    out = await describe(ctx, executionArn);
  }
  return out;
}

/** The execution's own error, as a sentence. */
function executionError(out: DescribeExecutionCommandOutput): string | undefined {
  if (out.error === undefined && out.cause === undefined) return undefined;
  return describeFailure({ Error: out.error ?? out.status ?? 'Error', ...(out.cause === undefined ? {} : { Cause: out.cause }) });
}

/**
 * Follow the watcher's restore run of a stopped (or timed-out) deployment:
 * wait for it to start, then poll it to its end. Returns when it ended (or
 * when the wait for it was given up).
 */
async function followRestore(
  ctx: OperatorContext,
  svc: ServiceConfig,
  executionArn: string,
  startedAt: Date,
  pollMs: number,
): Promise<Date> {
  const restoreArn = siblingExecutionArn(executionArn, restoreExecutionName(executionNameOf(executionArn)));
  const name = executionNameOf(restoreArn);
  let out = await describeIfExists(ctx, restoreArn);
  for (let poll = 1; out === undefined && poll <= RESTORE_WAIT_POLLS; poll++) {
    await ctx.io.sleep(pollMs);
    out = await describeIfExists(ctx, restoreArn);
  }
  const now = new Date();
  if (out === undefined) {
    ctx.io.stdout(
      timedLine(now.getTime() - startedAt.getTime(), `the watcher has not started the restore run ${name} yet; follow it with \`${commandLine(ctx.options, 'status', svc.name)}\``),
    );
    return now;
  }
  ctx.io.stdout(timedLine(now.getTime() - startedAt.getTime(), `restore run ${name} puts back what ran before the deployment`));
  const restoreLines = new ProgressLines(startedAt, '', kindOf(svc));
  const ended = await pollToEnd(ctx, svc, out, restoreArn, restoreLines, pollMs);
  const error = executionError(ended);
  const endedAt = ended.stopDate ?? new Date();
  ctx.io.stdout(timedLine(endedAt.getTime() - startedAt.getTime(), `restore run ${ended.status ?? 'ended'}${error === undefined ? '' : `: ${error}`}`));
  return endedAt;
}

/**
 * Follow the execution `executionArn` of a deployment of `svc` to its end,
 * polling every `pollSeconds`; prints its progress and its outcome.
 */
export async function followExecution(
  ctx: OperatorContext,
  svc: ServiceConfig,
  executionArn: string,
  pollSeconds: number,
): Promise<FollowResult> {
  const pollMs = pollSeconds * 1000;
  const first = await describe(ctx, executionArn);
  const name = first.name ?? executionNameOf(executionArn);
  const startedAt = first.startDate ?? new Date();
  const hint = `\`${commandLine(ctx.options, 'approve', svc.name)}\` or \`${commandLine(ctx.options, 'reject', svc.name, '--reason', 'TEXT')}\``;
  const ended = await pollToEnd(ctx, svc, first, executionArn, new ProgressLines(startedAt, hint, kindOf(svc)), pollMs);
  const status = ended.status ?? 'UNKNOWN';
  const stoppedAt = ended.stopDate ?? new Date();
  let record: DeploymentRecord | undefined = await readDeploymentRecord(ctx, svc.name, { name, startDate: startedAt });
  // The outcome's line comes last: after the restore run, when there is one.
  let lastLineAt = stoppedAt;
  if (isUncleanEnd(status) && record?.status === 'IN_PROGRESS') {
    const why = executionError(ended);
    ctx.io.stdout(timedLine(stoppedAt.getTime() - startedAt.getTime(), `execution ${status}${why === undefined ? '' : `: ${why}`}`));
    lastLineAt = await followRestore(ctx, svc, executionArn, startedAt, pollMs);
    record = (await readDeploymentRecord(ctx, svc.name, { name, startDate: startedAt })) ?? record;
  }
  const outcome = deploymentOutcome({ status, error: ended.error ?? null, recorded: record?.status ?? null }) ?? 'FAILED';
  const recordedCause = record !== undefined && record.status !== 'IN_PROGRESS' ? record.cause : undefined;
  const cause = recordedCause ?? executionError(ended);
  const result: FollowResult = { outcome };
  if (cause !== undefined) result.cause = cause;
  const duration = durationText(startedAt, stoppedAt);
  ctx.io.stdout(timedLine(lastLineAt.getTime() - startedAt.getTime(), `${outcome} after ${duration}${cause === undefined ? '' : `: ${cause}`}`));
  return result;
}

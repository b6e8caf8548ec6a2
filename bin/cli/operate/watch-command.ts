/**
 * `deployer watch SERVICE [--interval SECONDS]`: follow the service's
 * running deployment (or restore run) to its end, printing its progress:
 * state, step (or VM batch and its hosts), traffic split, verdicts, time
 * since it started. With nothing running, the newest deployment started
 * (one still validating its input or waiting for the lock), else the newest
 * recorded one, which has ended: its outcome is printed. The exit code is the deployment's outcome, as for
 * `deploy --wait`.
 */
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { isVmService, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { stateMachineOf } from '../aws/installed-stack.ts';
import { exitCodeOf } from '../exit-codes.ts';
import { CommandFailed } from './command-failed.ts';
import { DEFAULT_POLL_SECONDS } from './deploy-command.ts';
import { readHistory } from './deployment-history.ts';
import { followExecution } from './follow-execution.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions, type OperatorContext } from './operator-context.ts';
import { findRunningDeployment } from './running-deployment.ts';
import { executionConsoleUrl } from './service-status.ts';
import { wholeNumber } from './whole-number.ts';

/** Options of `deployer watch`. */
export interface WatchOptions extends CommonOptions {
  interval?: string;
}

/** The service an execution's input names: a deployment's `service`, or a restore run's `restore.service`. */
const InputServiceSchema = z.union([z.object({ service: z.string() }), z.object({ restore: z.object({ service: z.string() }) })]);

function serviceOfInput(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = InputServiceSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    return 'service' in parsed.data ? parsed.data.service : parsed.data.restore.service;
  } catch {
    return undefined;
  }
}

/**
 * The newest RUNNING execution of the service's state machine that deploys
 * (or restores) it: one that does not hold the lock yet (validating its
 * input, waiting for the lock). Execution names start with the service's.
 */
async function newestRunning(ctx: OperatorContext, svc: ServiceConfig): Promise<string | undefined> {
  const out = await awsRequest('states:ListExecutions', () =>
    ctx.clients.stepFunctions.send(
      new ListExecutionsCommand({ stateMachineArn: stateMachineOf(ctx.stack, svc), statusFilter: 'RUNNING', maxResults: 100 }),
    ),
  );
  const candidates = (out.executions ?? [])
    .filter((e) => e.name?.startsWith(`${svc.name}-`) === true && e.executionArn !== undefined)
    .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0));
  for (const candidate of candidates) {
    const described = await awsRequest('states:DescribeExecution', () =>
      ctx.clients.stepFunctions.send(new DescribeExecutionCommand({ executionArn: candidate.executionArn })),
    );
    if (serviceOfInput(described.input) === svc.name) return candidate.executionArn;
  }
  return undefined;
}

/** The execution to follow, and what it is for the first line. */
async function executionToWatch(ctx: OperatorContext, svc: ServiceConfig): Promise<{ executionArn: string; what: string }> {
  const situation = await findRunningDeployment(ctx, svc.name);
  if (situation.kind === 'running') {
    const what = situation.execution.restoreOf === undefined ? 'running deployment' : `restore run (after ${situation.execution.restoreOf.name})`;
    return { executionArn: situation.execution.executionArn, what };
  }
  const starting = await newestRunning(ctx, svc);
  if (starting !== undefined) return { executionArn: starting, what: 'newest deployment (checking its input or waiting for the lock)' };
  const [latest] = await readHistory(ctx, svc.name, 1);
  if (latest?.executionArn === undefined) {
    const start = isVmService(svc)
      ? `\`${commandLine(ctx.options, 'deploy', svc.name, '--artifact', 'S3_URI')}\` or upload an artifact under s3://${svc.artifacts.bucket}/${svc.artifacts.prefix}`
      : `\`${commandLine(ctx.options, 'deploy', svc.name, '--image', 'IMAGE')}\` or push a tag matching ${svc.tagPattern}`;
    throw new CommandFailed(`${svc.name} has no deployment to watch: none runs and none is recorded; start one with ${start}`);
  }
  return { executionArn: latest.executionArn, what: 'latest deployment, which has ended' };
}

/** Run the command; returns the exit code. */
export async function watchCommand(service: string, options: WatchOptions, io: OperatorIo): Promise<number> {
  const pollSeconds = wholeNumber('--interval', options.interval, DEFAULT_POLL_SECONDS, 1, 300);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const svc = services[0]!;
  const { executionArn, what } = await executionToWatch(ctx, svc);
  io.stdout(`Watching ${service}'s ${what}: ${executionArn}\n  console    ${executionConsoleUrl(executionArn)}\n`);
  const result = await followExecution(ctx, svc, executionArn, pollSeconds);
  return exitCodeOf(result.outcome);
}

/**
 * `deployer deploy SERVICE --image IMAGE [--reason TEXT] [--by NAME] [--wait]`:
 * start a deployment of an image, as a console start would, and with
 * `--wait` follow it to its end (exit 0 succeeded, 1 not, 2 input rejected):
 * usable as a CI step.
 */
import type { DeploymentRequest } from '../../../lambdas/shared/deployment.ts';
import { exitCodeOf, EXIT } from '../exit-codes.ts';
import { followExecution } from './follow-execution.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { checkDeploymentInput, startDeployment } from './start-deployment.ts';
import { wholeNumber } from './whole-number.ts';

/** Seconds between two polls of a followed deployment, by default. */
export const DEFAULT_POLL_SECONDS = 5;

/** Options of `deployer deploy`. */
export interface DeployOptions extends CommonOptions {
  image: string;
  reason?: string;
  by?: string;
  wait?: boolean;
  interval?: string;
}

/** Run the command; returns the exit code. */
export async function deployCommand(service: string, options: DeployOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const pollSeconds = wholeNumber('--interval', options.interval, DEFAULT_POLL_SECONDS, 1, 300);
  const input: DeploymentRequest = { service, image: options.image.trim(), startedBy: by };
  if (options.reason !== undefined) input.reason = operatorReason(options.reason);
  let request = input;
  const { ctx, services } = await openOperatorContext(options, io, service, (config) => {
    request = checkDeploymentInput(input, config);
  });
  // One service was named: the context holds it (an unknown one is a usage error).
  const svc = services[0]!;
  const started = await startDeployment(ctx, svc, request);
  const why = request.reason === undefined ? '' : `: ${request.reason}`;
  io.stdout(
    `Started ${service}'s deployment of ${request.image} (${svc.strategy}), by ${by}${why}\n` +
      `  execution  ${started.executionArn}\n` +
      `  console    ${started.consoleUrl}\n`,
  );
  if (options.wait !== true) {
    io.stdout(`Follow it: ${commandLine(options, 'watch', service)}\n`);
    return EXIT.ok;
  }
  const result = await followExecution(ctx, svc, started.executionArn, pollSeconds);
  return exitCodeOf(result.outcome);
}

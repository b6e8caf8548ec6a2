/**
 * The operator commands of the `deployer` CLI, against the deployer
 * installed in AWS:
 *
 *   deployer status [SERVICE] [--json]
 *   deployer deploy SERVICE --image IMAGE [--reason TEXT] [--by NAME] [--wait] [--interval SECONDS]        (ECS service)
 *   deployer deploy SERVICE --artifact S3_URI [--version V] [--sha256 HEX] [--reason TEXT] [--by NAME] [--wait] [--interval SECONDS]   (VM service)
 *   deployer watch SERVICE [--interval SECONDS]
 *   deployer history SERVICE [--limit N] [--json]
 *   deployer approve SERVICE [--by NAME]
 *   deployer reject SERVICE --reason TEXT [--by NAME]
 *   deployer promote SERVICE [--by NAME]
 *   deployer rollback SERVICE --reason TEXT [--by NAME]
 *
 * each with [--config FILE] [--stack NAME] [--region REGION]; every command
 * acts on ECS and VM services alike.
 *
 * Exit codes: 0 done, 1 nothing to act on or AWS refused (one line on
 * stderr saying what to do next), 2 bad arguments or an unknown service.
 * `deploy --wait` and `watch` exit by the deployment's outcome instead:
 * 0 succeeded, 1 rolled back, failed, superseded, aborted or timed out,
 * 2 its input was rejected.
 */
import { Command, CommanderError, Option } from 'commander';
import { AwsFailure } from '../aws/aws-failure.ts';
import { DEFAULT_STACK_NAME } from '../aws/installed-stack.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { approveCommand, type ApproveOptions } from './approve-command.ts';
import { CommandFailed } from './command-failed.ts';
import { deployCommand, DEFAULT_POLL_SECONDS, type DeployOptions } from './deploy-command.ts';
import { DEFAULT_HISTORY_LIMIT, historyCommand, MAX_HISTORY_LIMIT, type HistoryOptions } from './history-command.ts';
import { processIo, type OperatorIo } from './io.ts';
import { promoteCommand, type PromoteOptions } from './promote-command.ts';
import { rejectCommand, type RejectOptions } from './reject-command.ts';
import { rollbackCommand, type RollbackOptions } from './rollback-command.ts';
import { statusCommand, type StatusOptions } from './status-command.ts';
import { watchCommand, type WatchOptions } from './watch-command.ts';

export type { OperatorIo } from './io.ts';

/** The options every operator command takes. */
function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./deployer.config.yaml, else the shipped example)')
    .addOption(new Option('--stack <name>', 'name of the installed deployer stack').default(DEFAULT_STACK_NAME))
    .option('--region <region>', "AWS region of the stack (default: the SDK's chain: AWS_REGION, the profile)");
}

const BY = '--by <name>';
const BY_HELP = 'who does it, as recorded (default: your OS user name)';
const INTERVAL = '--interval <seconds>';
const INTERVAL_HELP = `seconds between two polls of the deployment (1-300, default ${DEFAULT_POLL_SECONDS})`;

/**
 * Run a command: `CommandFailed` and `AwsFailure` become one line on stderr
 * and exit code 1. Usage errors go on to the caller (exit code 2).
 */
async function guarded(io: OperatorIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CommandFailed || error instanceof AwsFailure) {
      io.stderr(`deployer: ${error.message}\n`);
      return EXIT.deploymentFailed;
    }
    throw error;
  }
}

/** Add the operator commands to `program`, printing to `io`. */
function addOperatorCommands(program: Command, setExit: (code: number) => void, io: OperatorIo): void {
  withCommonOptions(
    program
      .command('status')
      .description('Show what a service (default: every configured one) is doing: idle and its last deployment, or the running deployment')
      .argument('[service]', 'service name from the config (default: all)')
      .option('--json', 'print one JSON object instead of text'),
  ).action(async (service: string | undefined, options: StatusOptions) => {
    setExit(await guarded(io, () => statusCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('deploy')
      .description(
        "Start a deployment to SERVICE with the service's strategy, as a start from the Step Functions console does: of IMAGE to an ECS service, of ARTIFACT to a VM service",
      )
      .argument('<service>', 'service name from the config')
      .option('--image <image>', 'ECS services: the ECR image, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or …@sha256:DIGEST')
      .option('--artifact <s3-uri>', "VM services: the artifact, s3://BUCKET/KEY under the service's artifacts bucket and prefix")
      .option('--version <release>', 'VM services: the release name on the hosts (default: from the file name, api-vm-1.4.0.tar.gz: 1.4.0)')
      .option('--sha256 <hex>', "VM services: the artifact's expected SHA-256 (default: the first word of the object KEY.sha256 beside it)")
      .option('--reason <text>', 'why, recorded with the deployment')
      .option(BY, BY_HELP)
      .option('--wait', 'follow the deployment to its end; exit 0 when it succeeded, 1 when not, 2 when its input was rejected')
      .option(INTERVAL, INTERVAL_HELP),
  ).action(async (service: string, options: DeployOptions) => {
    setExit(await guarded(io, () => deployCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('watch')
      .description('Follow the running (else the latest) deployment of SERVICE to its end: state, step or VM batch and its hosts, traffic, verdicts; exit code by its outcome')
      .argument('<service>', 'service name from the config')
      .option(INTERVAL, INTERVAL_HELP),
  ).action(async (service: string, options: WatchOptions) => {
    setExit(await guarded(io, () => watchCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('history')
      .description('List the deployments of SERVICE, newest first: when, how long, result, image or release, who started it and why it ended so')
      .argument('<service>', 'service name from the config')
      .option('--limit <n>', `how many (1-${MAX_HISTORY_LIMIT}, default ${DEFAULT_HISTORY_LIMIT})`)
      .option('--json', 'print one JSON object instead of text'),
  ).action(async (service: string, options: HistoryOptions) => {
    setExit(await guarded(io, () => historyCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('approve')
      .description('Approve the approval step the running deployment of SERVICE waits at')
      .argument('<service>', 'service name from the config')
      .option(BY, BY_HELP),
  ).action(async (service: string, options: ApproveOptions) => {
    setExit(await guarded(io, () => approveCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('reject')
      .description('Reject the approval step the running deployment of SERVICE waits at: it rolls back')
      .argument('<service>', 'service name from the config')
      .requiredOption('--reason <text>', 'why, recorded with the rejection')
      .option(BY, BY_HELP),
  ).action(async (service: string, options: RejectOptions) => {
    setExit(await guarded(io, () => rejectCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('promote')
      .description('End the current bake of the running deployment of SERVICE now (a step, a VM canary, the last VM batch, keep-warm)')
      .argument('<service>', 'service name from the config')
      .option(BY, BY_HELP),
  ).action(async (service: string, options: PromoteOptions) => {
    setExit(await guarded(io, () => promoteCommand(service, options, io)));
  });

  withCommonOptions(
    program
      .command('rollback')
      .description('Abort the running deployment of SERVICE and restore what ran before it; with none running, deploy the previous successful image (or VM artifact)')
      .argument('<service>', 'service name from the config')
      .requiredOption('--reason <text>', 'why, recorded with the rollback')
      .option(BY, BY_HELP),
  ).action(async (service: string, options: RollbackOptions) => {
    setExit(await guarded(io, () => rollbackCommand(service, options, io)));
  });
}

/**
 * Add `status`, `deploy`, `watch`, `history`, `approve`, `reject`, `promote` and `rollback` to the
 * `deployer` program. Each action reports its exit code through `setExit`;
 * bad arguments throw `UsageError` (or commander's error) to the caller,
 * as the other commands do. Call after configuring the program's output
 * and exitOverride: subcommands copy those settings when created.
 */
export function registerOperatorCommands(program: Command, setExit: (code: number) => void): void {
  addOperatorCommands(program, setExit, processIo);
}

/**
 * Run one operator command (`argv` without node and script, e.g.
 * `['approve', 'web']`) with its output going to `io`; returns the exit
 * code. For tests and programs that embed the CLI.
 */
export async function runOperatorCommand(argv: readonly string[], io: OperatorIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('deployer')
    .exitOverride()
    // As bin/deployer.ts: the program's own options only before the command, so `deploy --version V` is deploy's.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError('(run with --help for usage)');
  addOperatorCommands(program, (c) => {
    code = c;
  }, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      io.stderr(`deployer: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

/**
 * The `deployer` command line.
 *
 *   deployer simulate [SERVICE] [--config FILE] [--image IMAGE] [--fail-at STATE] [--stop-at STATE]
 *                     [--unhealthy] [--bad-canary] [--alarm NAME] [--approve | --reject] [--json]
 *                     [--input FILE] [--artifact PATH] [--fail-host HOST] [--ssh]
 *   deployer validate [--config FILE]
 *   deployer schema
 *   deployer deploy|watch|history|status|approve|reject|promote|rollback ... (against the installed stack: see bin/cli/operate)
 *   deployer --version
 */
import { Command, CommanderError, Option } from 'commander';
import type { EcsServiceConfig, Step, VmServiceConfig } from '../lambdas/shared/config.ts';
import { targetBlocksOf, type VmTargetsConfig } from '../lambdas/shared/vm-config.ts';
import { formatDuration } from '../lambdas/shared/duration.ts';
import { resolveConfig } from './cli/config-path.ts';
import { EXIT, UsageError } from './cli/exit-codes.ts';
import { registerOperatorCommands } from './cli/operate/index.ts';
import { packageVersion } from './cli/package-version.ts';
import { schemaReferenceNote, schemaText } from './cli/schema-reference.ts';
import { simulateCommand, type SimulateOptions } from './cli/simulate.ts';

/** One line per service for `validate`. */
function describeService(s: EcsServiceConfig): string {
  const deploys = `deploys ${s.repository}:${s.tagPattern}, ${s.alarms.length} alarm(s)`;
  switch (s.strategy) {
    case 'rolling':
      return `${s.name}: rolling ECS ${s.cluster}/${s.service} container ${s.container}, ${deploys}, bake ${formatDuration(s.bakeSeconds)}`;
    case 'canary':
      return `${s.name}: canary ECS ${s.cluster}/${s.service} container ${s.container}, ${deploys}, steps ${stepsText(s.steps)}`;
    case 'blue-green':
      return `${s.name}: blue-green ECS ${s.cluster}/${s.blue.service} | ${s.green.service} container ${s.container}, ${deploys}, steps ${stepsText(s.steps)}, keep warm ${formatDuration(s.keepWarm)}`;
  }
}

/** How a VM service's hosts are found, in a few words. */
function hostsText(targets: VmTargetsConfig): string {
  if (targets.ec2Tags !== undefined) {
    return `SSM instances tagged ${Object.entries(targets.ec2Tags).map(([key, value]) => `${key}=${value}`).join(',')}`;
  }
  if (targets.instanceIds !== undefined) return `${targets.instanceIds.length} SSM instance(s)`;
  return `${targets.hosts?.length ?? 0} SSH host(s)`;
}

/** One line per VM service for `validate`. */
function describeVmService(s: VmServiceConfig): string {
  const hosts = targetBlocksOf(s)
    .map((block) => (s.strategy === 'blue-green' ? `${block.path}: ${hostsText(block.targets)}` : hostsText(block.targets)))
    .join(' | ');
  const deploys = `deploys s3://${s.artifacts.bucket}/${s.artifacts.prefix}${s.artifacts.pattern} to ${s.install.dir}, ${s.alarms.length} alarm(s)`;
  const batches = `batches ${s.batches.join(' -> ')}`;
  switch (s.strategy) {
    case 'rolling':
      return `${s.name}: rolling VM ${hosts}, ${deploys}, ${batches}, bake ${formatDuration(s.bake)}`;
    case 'canary':
      return `${s.name}: canary VM ${hosts}, ${deploys}, ${batches} (canary bake ${formatDuration(s.canary.bake)}${s.canary.approval ? ', approval' : ''}), bake ${formatDuration(s.bake)}`;
    case 'blue-green':
      return `${s.name}: blue-green VM ${hosts}, ${deploys}, ${batches}, steps ${stepsText(s.steps)}, keep warm ${formatDuration(s.keepWarm)}`;
  }
}

function stepsText(steps: Step[]): string {
  return steps.map((step) => (step.kind === 'approval' ? 'approval' : `${step.weight}%/${formatDuration(step.bakeSeconds)}`)).join(' -> ');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('deployer')
    .description('Progressive deployments of ECS services and VM fleets with AWS Step Functions')
    .version(packageVersion(), '-V, --version', "print the deployer's version")
    // The program's own options (--version) only before the command: `deployer deploy SERVICE --version V` is deploy's release name.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('simulate')
    .description(
      'Rehearse a deployment locally: the real state machine and Lambda handlers against a simulated AWS account, on a virtual clock',
    )
    .argument('[service]', 'service name from the config (default: the first ECS service)')
    .option('-c, --config <file>', 'config file (default: ./deployer.config.yaml, else the shipped example)')
    .option('-i, --image <image>', "image to deploy, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:DIGEST (default: a new tag of the service's repository)")
    .option('--input <file>', 'start the execution with this JSON input, exactly as pasted in the Step Functions console (the simulated ECR holds the example images and what --image names)')
    .option('--fail-at <state>', "make this Task state's AWS calls fail (non-retryable)")
    .option('--stop-at <state>', 'stop the execution when it enters this state, as from the console (the watcher restores the snapshot)')
    .option('--unhealthy', 'tasks of the new image never become healthy')
    .option('--bad-canary', 'the new revision passes health checks but serves 5xx and slow responses once it gets traffic (canary, blue-green)')
    .option('--approve', 'approval steps are approved (the default)')
    .option('--reject', 'approval steps are rejected: the deployment rolls back')
    .addOption(new Option('--alarm <name>', 'this alarm goes to ALARM once the new revision serves (repeatable)').argParser(collect))
    .option('--artifact <path>', 'VM services: the artifact (.tar.gz) to deploy (default: a small demo app, 2.0.0)')
    .option('--fail-host <host>', "VM services: this host's runs fail there (an instance ID, or an SSH host's name)")
    .option('--ssh', "VM services: the hosts are SSH hosts behind a loopback OpenSSH sshd started for the run (needs openssh-server; implied when the service lists hosts)")
    .option('--json', 'print one JSON object instead of the timeline')
    .option('--verbose', "also print the handlers' JSON logs")
    .action(async (service: string | undefined, options: SimulateOptions) => {
      setExit(await simulateCommand(service, options));
    });

  program
    .command('validate')
    .description('Validate a config file and list its services')
    .option('-c, --config <file>', 'config file (default: ./deployer.config.yaml, else the shipped example)')
    .action((options: { config?: string }) => {
      const { path, config, isExample } = resolveConfig(options.config);
      process.stdout.write(`${path}: valid\n`);
      for (const s of config.ecs) process.stdout.write(`  ${describeService(s)}\n`);
      for (const s of config.vm) process.stdout.write(`  ${describeVmService(s)}\n`);
      // A note, not a failure: the file is valid; only the editor's help is missing.
      const note = isExample ? undefined : schemaReferenceNote(path);
      if (note !== undefined) process.stderr.write(`note: ${note}\n`);
      setExit(EXIT.ok);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of the config file (for editor completion)')
    .action(() => {
      process.stdout.write(schemaText());
      setExit(EXIT.ok);
    });
  registerOperatorCommands(program, setExit);
  return program;
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is bad usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`deployer: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

/**
 * StartSsmBatch: send the release script to a batch's instances with SSM
 * Run Command (`AWS-RunShellScript`), or, in `rollback` mode, to the
 * instances this execution changed, each back to the release it served.
 *
 * - The command's text is the script's inputs (values single-quoted in a
 *   here-document, never on a command line) and a small loader: the script
 *   itself is an S3 object the stack uploaded, which the host downloads and
 *   runs only if its sha256 is the one computed at synth (the script is
 *   about 30 KB; a command's parameters should stay small). The script and
 *   the artifact are presigned S3 GET URLs valid for as long as the batch
 *   may run.
 * - Hosts whose inputs differ (a health URL naming the host, a rollback
 *   target) get separate commands; each command names at most 50
 *   instances (SendCommand's limit), all run at once (the batch is the unit
 *   of concurrency), and SSM stops sending after `maxErrors` failures.
 * - Output goes to CloudWatch Logs; the state only carries command IDs.
 * - A rollback first cancels the deployment's commands still running (an
 *   execution stopped mid-batch leaves them going), and its script waits for
 *   their runs to end: a host's release script holds a lock while it works.
 *   The agent kills a cancelled run outright (SIGKILL): the host's journal
 *   (INSTALL_DIR/.deployer/journal) lets the rollback's run put back the
 *   release it was replacing before anything else.
 */
import { CancelCommandCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsCall, errorName, sdkErrorOf } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { now } from '../shared/clock.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { ENV } from '../registry.ts';
import { presignedArtifactUrl, presignedGetUrl } from './artifact-url.ts';
import { deliveryTimeoutSeconds, ssmMaxErrors } from './batch-plan.ts';
import { isDeployStillRunning, updateLedger, type LedgerItem } from './host-ledger.ts';
import { hostReleaseEnvironment, rollbackRunOf, type RunMode } from './host-release.ts';
import { releaseScriptObject } from './release-script-object.ts';
import { hostsToStart, RunEventSchema, type RunStarted } from './run-selection.ts';
import { bashCommandFetchingScript } from './shell-text.ts';

export const ssm = lazyClient(() => new SSMClient({}));

/** SendCommand names at most 50 instances. */
export const SSM_INSTANCE_CHUNK = 50;

/** CancelCommand's answers for a command or instance it no longer knows: nothing left to cancel. */
const NOTHING_TO_CANCEL = new Set(['InvalidCommandId', 'InvalidInstanceId']);

/**
 * Cancel the deployment's commands still running on `items` (hosts a stopped
 * execution left a deploy going on): each whole command, since every host it
 * names is one of this execution's. Best effort: SSM does not promise the
 * process ends, which is why the rollback's script also waits for the lock.
 */
async function cancelRunningDeploys(items: readonly LedgerItem[], service: string): Promise<void> {
  const byCommand = new Map<string, string[]>();
  for (const item of items) {
    if (!isDeployStillRunning(item) || item.commandId === undefined) continue;
    byCommand.set(item.commandId, [...(byCommand.get(item.commandId) ?? []), item.host]);
  }
  for (const [commandId, hosts] of byCommand) {
    try {
      await awsCall('ssm:CancelCommand', () => ssm().send(new CancelCommandCommand({ CommandId: commandId })));
      logger.info('running deploy cancelled before the rollback', { serviceName: service, commandId, hosts });
    } catch (error) {
      if (!NOTHING_TO_CANCEL.has(errorName(sdkErrorOf(error)))) throw error;
      logger.info('nothing to cancel: the deploy command has ended', { serviceName: service, commandId, hosts });
    }
  }
}

export const handler = createHandler(RunEventSchema, async function startSsmBatch(event): Promise<RunStarted> {
  const { deployment } = event;
  const items = await hostsToStart(event, 'ssm');
  if (items.length === 0) return { hostCount: 0, notStarted: 0, commandIds: [] };
  const delivery = deliveryTimeoutSeconds(deployment.batchTimeoutSeconds);
  const validFor = deployment.batchTimeoutSeconds + delivery;
  const script = releaseScriptObject();
  const scriptUrl = await presignedGetUrl(script.bucket, script.key, validFor);
  const artifactUrl = event.mode === 'deploy' ? await presignedArtifactUrl(deployment, validFor) : undefined;
  if (event.mode === 'rollback') await cancelRunningDeploys(items, deployment.service);

  // Hosts with the same inputs share a command.
  const groups = new Map<string, { env: Record<string, string>; hosts: LedgerItem[] }>();
  for (const item of items) {
    const run: RunMode = artifactUrl !== undefined ? { mode: 'deploy', artifactUrl } : rollbackRunOf(deployment, item);
    const env = hostReleaseEnvironment(deployment, item, run);
    const key = JSON.stringify(env);
    const group = groups.get(key) ?? { env, hosts: [] };
    group.hosts.push(item);
    groups.set(key, group);
  }

  const logGroup = process.env[ENV.vmCommandLogGroup];
  const label = event.mode === 'deploy' ? `batch ${event.batch + 1}` : 'rollback';
  const commandIds: string[] = [];
  for (const { env, hosts } of groups.values()) {
    const command = bashCommandFetchingScript(scriptUrl, script.sha256, env);
    for (let i = 0; i < hosts.length; i += SSM_INSTANCE_CHUNK) {
      const chunk = hosts.slice(i, i + SSM_INSTANCE_CHUNK);
      const sent = await awsCall('ssm:SendCommand', () =>
        ssm().send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: chunk.map((h) => h.host),
            Parameters: { commands: [command], executionTimeout: [String(deployment.batchTimeoutSeconds)] },
            TimeoutSeconds: delivery,
            MaxConcurrency: String(chunk.length),
            MaxErrors: event.mode === 'deploy' ? ssmMaxErrors(deployment.maxErrors) : String(chunk.length),
            CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, ...(logGroup === undefined || logGroup === '' ? {} : { CloudWatchLogGroupName: logGroup }) },
            Comment: `deployer ${deployment.service} ${deployment.artifact.version} ${label}`.slice(0, 100),
          }),
        ),
      );
      const commandId = sent.Command?.CommandId;
      if (commandId === undefined) throw new Error('ssm:SendCommand returned no CommandId');
      commandIds.push(commandId);
      const sentAt = now();
      for (const host of chunk) {
        await updateLedger(deployment.executionName, host.host, { status: 'running', mode: event.mode, commandId, sentAt });
      }
    }
  }
  logger.info('commands sent', { serviceName: deployment.service, mode: event.mode, label, hosts: items.length, commandIds });
  return { hostCount: items.length, notStarted: 0, commandIds };
});

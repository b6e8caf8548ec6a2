import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, SSMClient, type CommandInvocation } from '@aws-sdk/client-ssm';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReleaseOutput, releaseVerdict } from '../../lambdas/vm/release-result.ts';
import { scriptWithEnvironment } from '../../lambdas/vm/shell-text.ts';
import { modelledReleaseHost, type ModelledHost } from '../../simulator/vm/modelled-release.ts';
import { installWorld, type InstalledWorld } from './world-fixture.ts';

const ssm = new SSMClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAREHEARSAL', secretAccessKey: 'rehearsal' } });
const ARTIFACT = Buffer.from('the 2.0.0 release');
const SHA256 = createHash('sha256').update(ARTIFACT).digest('hex');

async function allInvocations(commandId: string): Promise<CommandInvocation[]> {
  const all: CommandInvocation[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, NextToken }));
    all.push(...(page.CommandInvocations ?? []));
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return all;
}

describe('a modelled fleet of 100 hosts through the simulated SSM', () => {
  let installed: InstalledWorld;
  afterEach(async () => {
    await installed.world.vm.settled();
    installed.uninstall();
  });

  async function deploy(unhealthy: string[] = []): Promise<{ commandId: string; hosts: ModelledHost[] }> {
    installed = installWorld();
    const { world, clock } = installed;
    world.s3.putObject('acme-artifacts', 'api/app-2.0.0.tar.gz', ARTIFACT);
    const hosts = Array.from({ length: 100 }, () => modelledReleaseHost({ current: '1.0.0', unhealthyVersions: unhealthy }));
    for (const host of hosts) world.vm.addInstance({ tags: { app: 'api' }, runner: host.runner });
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'acme-artifacts', Key: 'api/app-2.0.0.tar.gz' }), { expiresIn: 3600, signingDate: new Date(clock.now()) });
    const env = { DEPLOYER_MODE: 'deploy', SERVICE_NAME: 'api', INSTALL_DIR: '/opt/api', VERSION: '2.0.0', ARTIFACT_URL: url, ARTIFACT_SHA256: SHA256 };
    const { Command } = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'tag:app', Values: ['api'] }],
        Parameters: { commands: [scriptWithEnvironment('# the release script\n', env)] },
        MaxConcurrency: '10%',
        MaxErrors: '100%',
      }),
    );
    await world.vm.settled();
    return { commandId: Command!.CommandId!, hosts };
  }

  it('deploys ten hosts at a time: each wave takes the modelled phases, the fleet ten waves', async () => {
    // Prepare
    const { commandId, hosts } = await deploy();
    const { clock } = installed;

    // Act
    clock.advance(279);
    const [almost] = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands ?? [];
    clock.advance(1);
    const [done] = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands ?? [];
    const invocations = await allInvocations(commandId);
    const verdicts = invocations.map((i) => releaseVerdict(i.CommandPlugins?.[0]?.ResponseCode ?? null, parseReleaseOutput(i.CommandPlugins?.[0]?.Output ?? '')));

    // Assess
    // 1 s to be picked up + 27 s of phases = 28 s a wave.
    expect(almost).toMatchObject({ Status: 'InProgress', TargetCount: 100, CompletedCount: 90 });
    expect(done).toMatchObject({ Status: 'Success', CompletedCount: 100, ErrorCount: 0 });
    expect(invocations).toHaveLength(100);
    expect(new Set(verdicts.map((v) => `${v.status} ${v.previous} -> ${v.current}`))).toEqual(new Set(['SUCCEEDED 1.0.0 -> 2.0.0']));
    expect(hosts.every((h) => h.current() === '2.0.0' && h.previous() === '1.0.0')).toBe(true);
  });

  it('reports a release whose health check fails as rolled back on every host, the old one serving', async () => {
    // Prepare
    const { commandId, hosts } = await deploy(['2.0.0']);
    installed.clock.advance(3600);

    // Act
    const invocations = await allInvocations(commandId);
    const verdicts = invocations.map((i) => releaseVerdict(i.CommandPlugins?.[0]?.ResponseCode ?? null, parseReleaseOutput(i.CommandPlugins?.[0]?.Output ?? '')));

    // Assess
    expect(new Set(invocations.map((i) => i.Status))).toEqual(new Set(['Failed']));
    expect(new Set(verdicts.map((v) => `${v.status} at ${v.phase}: ${v.current}`))).toEqual(new Set(['ROLLED_BACK at health: 1.0.0']));
    expect(hosts.every((h) => h.current() === '1.0.0')).toBe(true);
  });
});

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readReleaseScript } from '../../lambdas/vm/release-script.ts';
import { scriptWithEnvironment } from '../../lambdas/vm/shell-text.ts';
import type { DemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import type { LocalHost } from '../../simulator/vm/local-host.ts';
import { demoArtifacts, demoHosts, deployOf, servedVersion } from '../support/vm-hosts.ts';
import { installWorld, type InstalledWorld } from './world-fixture.ts';

const ssm = new SSMClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAREHEARSAL', secretAccessKey: 'rehearsal' } });
const BUCKET = 'acme-artifacts';

describe('a release through the simulated SSM, the artifact from the simulated S3', () => {
  let hosts: LocalHost[];
  let cleanup: () => Promise<void>;
  let artifacts: Record<string, DemoArtifact>;
  let installed: InstalledWorld;

  beforeAll(async () => {
    const made = await demoHosts(2, 'deployer-ssm-release-');
    hosts = made.hosts;
    cleanup = made.cleanup;
    artifacts = await demoArtifacts(made.root, { '1.0.0': 'up', '2.0.0': 'up' });
    // Both hosts serve 1.0.0 before each deployment below.
    for (const host of hosts) {
      const run = await host.release(deployOf(artifacts['1.0.0']!));
      expect(run.verdict.status).toBe('SUCCEEDED');
    }
  });

  afterAll(async () => {
    await cleanup();
  });

  afterEach(async () => {
    await installed.world.vm.settled();
    installed.uninstall();
  });

  /** Send the release script with each host's environment, the artifact by a presigned URL signed now; returns the command IDs. */
  async function release(version: string, expiresIn: number, signedAgoSeconds = 0): Promise<string[]> {
    const { world, clock } = installed;
    const key = `api/app-${version}.tar.gz`;
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn,
      signingDate: new Date(clock.now() - signedAgoSeconds * 1000),
    });
    const ids: string[] = [];
    for (const host of hosts) {
      const instance = world.vm.instances().find((i) => i.host === host)!;
      const env = host.environment({ version, artifactUrl: url, artifactSha256: artifacts[version]!.sha256 });
      const { Command } = await ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [instance.instanceId],
          Parameters: { commands: [scriptWithEnvironment(readReleaseScript(), env)], executionTimeout: ['600'] },
          TimeoutSeconds: 60,
        }),
      );
      ids.push(Command!.CommandId!);
    }
    return ids;
  }

  function prepareWorld(): void {
    installed = installWorld();
    const { world } = installed;
    for (const [index, host] of hosts.entries()) world.vm.addInstance({ instanceId: `i-0a1b2c3d4e5f6000${index}`, tags: { app: 'api' }, host });
    for (const version of ['1.0.0', '2.0.0']) {
      world.s3.putObject(BUCKET, `api/app-${version}.tar.gz`, readFileSync(artifacts[version]!.path));
    }
  }

  it('deploys the object a presigned URL names: every host serves the new release over HTTP', async () => {
    // Prepare
    prepareWorld();
    const { world, clock } = installed;

    // Act
    const commandIds = await release('2.0.0', 900);
    await world.vm.settled();
    clock.advance(600);
    const results = await Promise.all(
      commandIds.map((CommandId, index) => ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: `i-0a1b2c3d4e5f6000${index}` }))),
    );

    // Assess
    expect(results.map((r) => r.Status)).toEqual(['Success', 'Success']);
    expect(results[0]?.StandardOutputContent).toContain('DEPLOYER_RESULT');
    expect(await Promise.all(hosts.map((h) => servedVersion(h)))).toEqual(['2.0.0', '2.0.0']);
  });

  it('fails the download of an expired presigned URL before anything on the host changes', async () => {
    // Prepare
    prepareWorld();
    const { world, clock } = installed;
    const before = await Promise.all(hosts.map((h) => servedVersion(h)));

    // Act
    const commandIds = await release('1.0.0', 60, 120);
    await world.vm.settled();
    clock.advance(600);
    const result = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandIds[0]!, InstanceId: 'i-0a1b2c3d4e5f60000' }));

    // Assess
    expect(result.Status).toBe('Failed');
    expect(`${result.StandardOutputContent}${result.StandardErrorContent}`).toMatch(/download/);
    expect(`${result.StandardOutputContent}${result.StandardErrorContent}`).toContain('s3-AccessDenied-Request-has-expired');
    expect(await Promise.all(hosts.map((h) => servedVersion(h)))).toEqual(before);
  });
});

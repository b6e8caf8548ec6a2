import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, InvalidRequestException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { modelledReleaseHost } from '../../simulator/vm/modelled-release.ts';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const ec2 = new EC2Client({ region: 'us-east-1' });
const secrets = new SecretsManagerClient({ region: 'us-east-1' });

describe('simulated EC2 DescribeInstances', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  function fleet(): string[] {
    installed = installWorld();
    const ids = Array.from({ length: 8 }, (_, i) => `i-0a1b2c3d4e5f6000${i}`);
    for (const [i, id] of ids.entries()) {
      installed.world.vm.addInstance({ instanceId: id, tags: { app: i < 6 ? 'api' : 'web', env: i % 2 === 0 ? 'prod' : 'staging', Name: `host-${i}` } });
    }
    installed.world.vm.addInstance({ instanceId: 'mi-0a1b2c3d4e5f60000', tags: { app: 'api', env: 'prod' } });
    installed.world.vm.setState(ids[4]!, 'stopped');
    return ids;
  }

  it('finds the instances carrying every tag filtered on, with their private IP, state and tags', async () => {
    // Prepare
    const ids = fleet();

    // Act
    const { Reservations = [] } = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['api'] }, { Name: 'tag:env', Values: ['prod'] }] }),
    );
    const running = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['api'] }, { Name: 'tag:env', Values: ['prod'] }, { Name: 'instance-state-name', Values: ['running'] }] }),
    );

    // Assess
    const instances = Reservations.flatMap((r) => r.Instances ?? []);
    expect(instances.map((i) => i.InstanceId)).toEqual([ids[0], ids[2], ids[4]]);
    expect(instances[0]).toMatchObject({
      State: { Code: 16, Name: 'running' },
      PrivateIpAddress: expect.stringMatching(/^10\.0\.\d+\.\d+$/),
      Tags: expect.arrayContaining([{ Key: 'app', Value: 'api' }, { Key: 'Name', Value: 'host-0' }]),
    });
    expect(instances[2]?.State).toEqual({ Code: 80, Name: 'stopped' });
    expect(running.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([ids[0], ids[2]]);
  });

  it('pages with MaxResults and NextToken, and matches wildcards and instance IDs', async () => {
    // Prepare
    const ids = fleet();

    // Act
    const first = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['host-*'] }], MaxResults: 5 }));
    const second = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['host-*'] }], MaxResults: 5, NextToken: first.NextToken }));
    const byId = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[7]!, ids[1]!] }));

    // Assess
    const listed = [...(first.Reservations ?? []), ...(second.Reservations ?? [])].flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(listed).toEqual(ids);
    expect(second.NextToken).toBeUndefined();
    expect(byId.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([ids[1], ids[7]]);
  });

  it('refuses unknown and malformed instance IDs, MaxResults with InstanceIds, and unknown filters, as EC2 does', async () => {
    // Prepare
    const ids = fleet();

    // Act
    const unknown = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0fffffffffffffff0'] })));
    const malformed = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] })));
    const combined = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]!], MaxResults: 5 })));
    const badFilter = await rejectionOf(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })));

    // Assess
    expect(unknown).toMatchObject({ name: 'InvalidInstanceID.NotFound', message: "The instance ID 'i-0fffffffffffffff0' does not exist" });
    expect(malformed.name).toBe('InvalidInstanceID.Malformed');
    expect(combined.name).toBe('InvalidParameterCombination');
    expect(badFilter.name).toBe('InvalidParameterValue');
  });
});

describe('simulated Secrets Manager GetSecretValue', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('reads a secret by name or ARN, and records the read against its ARN', async () => {
    // Prepare
    installed = installWorld();
    const arn = installed.world.secretsManager.putSecret('deployer/web-key', '-----BEGIN OPENSSH PRIVATE KEY-----\n...');

    // Act
    const byName = await installed.world.withCaller({ functionKey: 'SshRun' }, () => secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/web-key' })));
    const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));

    // Assess
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:deployer\/web-key-[0-9a-f]{6}$/);
    expect(byName).toMatchObject({ ARN: arn, Name: 'deployer/web-key', SecretString: '-----BEGIN OPENSSH PRIVATE KEY-----\n...', VersionStages: ['AWSCURRENT'] });
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(installed.world.calls).toContainEqual(expect.objectContaining({ action: 'secretsmanager:GetSecretValue', resources: [arn], caller: { functionKey: 'SshRun' } }));
  });

  it('answers ResourceNotFoundException for a secret nobody created, InvalidRequestException for a deleted one, AccessDeniedException when refused', async () => {
    // Prepare
    installed = installWorld();
    installed.world.secretsManager.putSecret('deployer/old-key', 'x');
    installed.world.secretsManager.deleteSecret('deployer/old-key');
    installed.world.secretsManager.putSecret('deployer/web-key', 'x');
    installed.world.failCalls({ functionKey: 'SshRun', action: 'secretsmanager:GetSecretValue' });

    // Act
    const missing = await rejectionOf(secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/nobody' })));
    const deleted = await rejectionOf(secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/old-key' })));
    const denied = await rejectionOf(installed.world.withCaller({ functionKey: 'SshRun' }, () => secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/web-key' }))));

    // Assess
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
    expect(deleted).toBeInstanceOf(InvalidRequestException);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('secretsmanager:GetSecretValue') });
  });
});

describe('world.vm.addInstancesFor', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it("adds one instance per host carrying a deployment's EC2 tags, or named by its instance IDs, with its target group", async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const targetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0a1b2c3d4e5f6071';
    const modelled = [modelledReleaseHost(), modelledReleaseHost()];

    // Act
    world.vm.addInstancesFor({ executor: 'ssm', ec2Tags: { app: 'api', env: 'prod' }, targetGroupArn, targetPort: 8081 }, modelled);
    world.vm.addInstancesFor({ executor: 'ssm', instanceIds: ['mi-0a1b2c3d4e5f60001'] }, [modelledReleaseHost()]);
    const tagged = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['api'] }, { Name: 'tag:env', Values: ['prod'] }] }));

    // Assess
    expect(tagged.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(2);
    expect(world.vm.instance('mi-0a1b2c3d4e5f60001')?.runner).toBeDefined();
    expect(world.elbv2.view(targetGroupArn)).toBeDefined();
    expect(() => world.vm.addInstancesFor({ executor: 'ssh', hosts: [] }, [])).toThrow(/SSH/);
    expect(() => world.vm.addInstancesFor({ executor: 'ssm', instanceIds: ['i-0a1b2c3d4e5f60001'] }, [])).toThrow(/1 instance IDs for 0 hosts/);
  });
});

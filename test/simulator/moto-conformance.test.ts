/**
 * The simulated S3, Secrets Manager, EC2 and SSM against moto (the Python
 * AWS simulator, on this machine and CI, not on a user's: skipped without
 * it) and the botocore service model it ships with. Compared: the shapes of
 * responses (field names and types) and the error codes, never leniency —
 * moto accepts much that AWS refuses.
 *
 * - every field the simulation returns is a field of the service model's
 *   output (no invented or misspelt fields);
 * - every field moto returns is returned by the simulation too, with the
 *   same type, unless listed in `NOT_RETURNED` with the reason;
 * - errors carry moto's codes (and status, where moto has AWS's).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_LIMIT, ERROR_CONTENT_LIMIT, PLUGIN_OUTPUT_LIMIT } from '../../simulator/aws/ssm.ts';
import { LocalHost } from '../../simulator/vm/local-host.ts';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const hasMoto = spawnSync('python3', ['-c', 'import moto, boto3'], { stdio: 'ignore' }).status === 0;

type Shape = string | Shape[] | { [key: string]: Shape };
interface MotoError {
  code: string;
  status: number;
  message: string;
}

/** Fields moto returns that the simulation leaves out on purpose. */
const NOT_RETURNED: Record<string, Record<string, string>> = {
  's3.get': { ChecksumCRC32: 'S3 returns a checksum only when asked with ChecksumMode and when the upload gave one; moto always adds CRC32' },
  'ssm.send': { 'Command.NotificationConfig.NotificationType': 'no notification was asked for: the simulation leaves the type out' },
  'ec2.describe': {
    'Reservations[].Instances[].BlockDeviceMappings': 'volumes are not what a deployment reads',
    'Reservations[].Instances[].NetworkInterfaces': 'the private IP is given as PrivateIpAddress; interfaces are not modelled',
    'Reservations[].Instances[].ClientToken': 'the idempotency token of RunInstances: the simulation launches nothing',
    'Reservations[].Instances[].SriovNetSupport': 'not modelled',
    'Reservations[].Instances[].StateReason': 'EC2 gives it for a stopped or terminated instance; moto always',
    'Reservations[].Instances[].HibernationOptions': 'not modelled',
    'Reservations[].Instances[].MetadataOptions': 'not modelled',
    'Reservations[].Instances[].Platform': "EC2 gives it only for Windows ('windows'); moto always",
    'Reservations[].Instances[].PublicIpAddress': 'hosts of a private fleet have no public address',
  },
};

/** The type tree of a value, as the probe writes moto's (one element per list). */
function shapeOf(value: unknown): Shape {
  if (value instanceof Date) return 'date';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object' && value !== null) {
    if ('transformToString' in value) return 'stream';
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$metadata').map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? typeof value : 'string';
}

/** Paths of `ours` whose field the model's output does not have. */
function invented(ours: Shape, model: Shape, at = ''): string[] {
  if (model === 'map' || model === 'any') return [];
  if (Array.isArray(ours)) return Array.isArray(model) && ours.length > 0 && model.length > 0 ? invented(ours[0]!, model[0]!, `${at}[]`) : [];
  if (typeof ours === 'object') {
    if (typeof model !== 'object' || Array.isArray(model)) return [at];
    return Object.entries(ours).flatMap(([k, v]) => (k in model ? invented(v, model[k]!, at === '' ? k : `${at}.${k}`) : [at === '' ? k : `${at}.${k}`]));
  }
  return [];
}

/** Paths moto returns that ours lacks or types differently. */
function differences(moto: Shape, ours: Shape | undefined, at = ''): string[] {
  if (ours === undefined) return [`${at} (missing)`];
  if (Array.isArray(moto)) {
    if (!Array.isArray(ours)) return [`${at} (not a list)`];
    return moto.length > 0 && ours.length > 0 ? differences(moto[0]!, ours[0], `${at}[]`) : [];
  }
  if (typeof moto === 'object') {
    if (typeof ours !== 'object' || Array.isArray(ours)) return [`${at} (not an object)`];
    return Object.entries(moto).flatMap(([k, v]) => differences(v, ours[k], at === '' ? k : `${at}.${k}`));
  }
  return moto === ours ? [] : [`${at} (${String(ours)} instead of ${moto})`];
}

function unexplained(op: string, diffs: string[]): string[] {
  const allowed = NOT_RETURNED[op] ?? {};
  return diffs.filter((d) => !Object.keys(allowed).some((path) => d.startsWith(`${path} `)));
}

describe.skipIf(!hasMoto)('the simulated VM APIs against moto and the botocore model', () => {
  let moto: Record<string, unknown> & { models: Record<string, Shape> };
  let installed: InstalledWorld;
  let root: string;
  const ours: Record<string, Shape> = {};
  const errors: Record<string, Error & Record<string, unknown>> = {};
  const matched: number[] = [];

  beforeAll(async () => {
    moto = JSON.parse(execFileSync('python3', [path.join(here, '..', 'support', 'moto-probe.py')], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })) as typeof moto;
    root = await mkdtemp(path.join(os.tmpdir(), 'deployer-moto-'));
    installed = installWorld();
    const { world, clock } = installed;
    const credentials = { accessKeyId: 'AKIAREHEARSAL', secretAccessKey: 'rehearsal' };
    const s3 = new S3Client({ region: 'us-east-1', credentials });
    const secrets = new SecretsManagerClient({ region: 'us-east-1', credentials });
    const ec2 = new EC2Client({ region: 'us-east-1', credentials });
    const ssm = new SSMClient({ region: 'us-east-1', credentials });
    // The same world as the probe's.
    world.s3.putObject('acme-artifacts', 'api/app.tar.gz', 'abc', { contentType: 'application/gzip' });
    world.secretsManager.putSecret('deployer/web-key', 'key');
    const ids = ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003'];
    const tags = [{ app: 'api', env: 'prod' }, { app: 'api', env: 'staging' }, { app: 'web', env: 'prod' }];
    for (const [i, id] of ids.entries()) world.vm.addInstance({ instanceId: id, tags: tags[i]!, host: new LocalHost({ name: `h${i}`, dir: path.join(root, `h${i}`), port: 19_000 + i }) });

    ours['s3.head'] = shapeOf(await s3.send(new HeadObjectCommand({ Bucket: 'acme-artifacts', Key: 'api/app.tar.gz' })));
    ours['s3.get'] = shapeOf(await s3.send(new GetObjectCommand({ Bucket: 'acme-artifacts', Key: 'api/app.tar.gz' })));
    errors['s3.headMissing'] = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'acme-artifacts', Key: 'api/missing' })));
    errors['s3.getMissing'] = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: 'acme-artifacts', Key: 'api/missing' })));
    errors['s3.getNoBucket'] = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: 'nobody-s-bucket', Key: 'x' })));
    ours['secrets.get'] = shapeOf(await secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/web-key' })));
    errors['secrets.missing'] = await rejectionOf(secrets.send(new GetSecretValueCommand({ SecretId: 'deployer/nobody' })));
    const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['api'] }, { Name: 'tag:env', Values: ['prod'] }] }));
    ours['ec2.describe'] = shapeOf(described);
    matched.push(...(described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ids.indexOf(i.InstanceId ?? '')));
    errors['ec2.unknown'] = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0fffffffffffffff0'] })));
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [ids[0]!],
        Parameters: { commands: ['echo hi'] },
        TimeoutSeconds: 60,
        MaxConcurrency: '1',
        MaxErrors: '0',
        Comment: 'deploy',
        CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: '/deployer/api' },
      }),
    );
    ours['ssm.send'] = shapeOf(sent);
    await world.vm.settled();
    clock.advance(30);
    const commandId = sent.Command!.CommandId!;
    ours['ssm.get'] = shapeOf(await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: ids[0]! })));
    ours['ssm.list'] = shapeOf(await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true })));
    ours['ssm.commands'] = shapeOf(await ssm.send(new ListCommandsCommand({ CommandId: commandId })));
    ours['ssm.info'] = shapeOf(await ssm.send(new DescribeInstanceInformationCommand({})));
  });

  afterAll(async () => {
    await installed.world.vm.settled();
    installed.uninstall();
    await rm(root, { recursive: true, force: true });
  });

  it('returns only fields of the service model outputs', () => {
    // Prepare
    const pairs: Array<[string, string]> = [
      ['s3.head', 's3.HeadObject'],
      ['s3.get', 's3.GetObject'],
      ['secrets.get', 'secretsmanager.GetSecretValue'],
      ['ec2.describe', 'ec2.DescribeInstances'],
      ['ssm.send', 'ssm.SendCommand'],
      ['ssm.get', 'ssm.GetCommandInvocation'],
      ['ssm.list', 'ssm.ListCommandInvocations'],
      ['ssm.commands', 'ssm.ListCommands'],
      ['ssm.info', 'ssm.DescribeInstanceInformation'],
    ];

    // Act
    const found = Object.fromEntries(pairs.map(([op, model]) => [op, invented(ours[op]!, moto.models[model]!)]));

    // Assess
    expect(found).toEqual(Object.fromEntries(pairs.map(([op]) => [op, []])));
  });

  it('returns every field moto returns, with its type (S3 objects, the secret, EC2 instances, SSM commands and invocations)', () => {
    // Prepare
    const ops = ['s3.head', 's3.get', 'secrets.get', 'ec2.describe', 'ssm.send', 'ssm.get'];

    // Act
    const found = Object.fromEntries(ops.map((op) => [op, unexplained(op, differences(moto[op] as Shape, ours[op]))]));

    // Assess
    expect(found).toEqual(Object.fromEntries(ops.map((op) => [op, []])));
  });

  it('selects the same instances with two tag filters as EC2 in moto', () => {
    // Assess
    expect(matched).toEqual(moto['ec2.matched']);
  });

  it('fails with the error codes of moto', () => {
    // Prepare
    const code = (key: string): MotoError => moto[key] as MotoError;

    // Assess
    // A HEAD response has no body: botocore names the error after the status ('404'), the JS SDK 'NotFound'.
    expect(errors['s3.headMissing']).toMatchObject({ name: 'NotFound', $metadata: expect.objectContaining({ httpStatusCode: code('s3.headMissing').status }) });
    expect(code('s3.headMissing').code).toBe('404');
    for (const key of ['s3.getMissing', 's3.getNoBucket']) {
      expect(errors[key]).toMatchObject({ name: code(key).code, message: code(key).message, $metadata: expect.objectContaining({ httpStatusCode: code(key).status }) });
    }
    // Secrets Manager answers 400 (moto says 404): compare the code and message only.
    expect(errors['secrets.missing']).toMatchObject({ name: code('secrets.missing').code, message: code('secrets.missing').message });
    expect(errors['ec2.unknown']).toMatchObject({ name: code('ec2.unknown').code, message: code('ec2.unknown').message });
  });

  it("cuts SSM output at the service model's limits: 2,500 characters per plugin Output, 24,000 of stdout, 8,000 of stderr", () => {
    // Assess
    expect(moto.limits).toEqual({ CommandPluginOutput: PLUGIN_OUTPUT_LIMIT, StandardOutputContent: CONTENT_LIMIT, StandardErrorContent: ERROR_CONTENT_LIMIT });
  });
});

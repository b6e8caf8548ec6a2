import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendAutomationSignalCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAREHEARSAL', secretAccessKey: 'rehearsal' } });
const BUCKET = 'acme-artifacts';

describe('simulated S3', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('stores an upload and gives it back: HeadObject, GetObject whose body the SDK reads as a string', async () => {
    // Prepare
    installed = installWorld();
    installed.world.s3.createBucket(BUCKET);

    // Act
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'api/app-1.0.0.tar.gz.sha256', Body: 'ab'.repeat(32), ContentType: 'text/plain' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'api/app-1.0.0.tar.gz.sha256' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'api/app-1.0.0.tar.gz.sha256' }));

    // Assess
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(head).toMatchObject({ ContentLength: 64, ContentType: 'text/plain', ETag: put.ETag, LastModified: expect.any(Date) });
    expect(await got.Body?.transformToString()).toBe('ab'.repeat(32));
    expect(got.ETag).toBe(put.ETag);
  });

  it('answers a missing object as S3 does: NotFound (404) for HeadObject, NoSuchKey or NoSuchBucket for GetObject', async () => {
    // Prepare
    installed = installWorld();
    installed.world.s3.createBucket(BUCKET);

    // Act
    const head = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'api/missing.tar.gz' })));
    const get = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'api/missing.tar.gz' })));
    const noBucket = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: 'nobody-s-bucket', Key: 'x' })));

    // Assess
    expect(head).toBeInstanceOf(NotFound);
    expect(head.$metadata).toMatchObject({ httpStatusCode: 404 });
    expect(get).toBeInstanceOf(NoSuchKey);
    expect(get).toMatchObject({ message: 'The specified key does not exist.', $metadata: expect.objectContaining({ httpStatusCode: 404 }) });
    expect(noBucket).toBeInstanceOf(NoSuchBucket);
  });

  it('says AccessDenied (403) when the caller may not read the object', async () => {
    // Prepare
    installed = installWorld();
    installed.world.s3.putObject(BUCKET, 'api/app.tar.gz', 'bytes');
    installed.world.failCalls({ functionKey: 'ValidateInput', action: 's3:GetObject' });

    // Act
    const denied = await rejectionOf(installed.world.withCaller({ functionKey: 'ValidateInput' }, () => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'api/app.tar.gz' }))));

    // Assess
    expect(denied).toMatchObject({ name: 'AccessDenied', message: 'Access Denied', $metadata: expect.objectContaining({ httpStatusCode: 403 }) });
    expect(installed.world.calls.at(-1)).toMatchObject({ action: 's3:GetObject', resources: ['arn:aws:s3:::acme-artifacts/api/app.tar.gz'], error: 'AccessDenied' });
  });

  it('lists keys under a prefix page by page, in key order', async () => {
    // Prepare
    installed = installWorld();
    for (const key of ['api/b.tar.gz', 'api/a.tar.gz', 'api/c.tar.gz', 'web/a.tar.gz']) installed.world.s3.putObject(BUCKET, key, key);

    // Act
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'api/', MaxKeys: 2 }));
    const second = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'api/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
    const folders = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));

    // Assess
    expect(first).toMatchObject({ IsTruncated: true, KeyCount: 2, Contents: [{ Key: 'api/a.tar.gz' }, { Key: 'api/b.tar.gz' }] });
    expect(second).toMatchObject({ IsTruncated: false, KeyCount: 1, Contents: [{ Key: 'api/c.tar.gz', Size: 12, StorageClass: 'STANDARD' }] });
    expect(second.NextContinuationToken).toBeUndefined();
    expect(folders.CommonPrefixes).toEqual([{ Prefix: 'api/' }, { Prefix: 'web/' }]);
  });

  it('turns a presigned GET URL into a local copy of the object for the hosts, and refuses one that expired', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    world.s3.putObject(BUCKET, 'api/app 1.0.0.tar.gz', Buffer.from([1, 2, 3]));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'api/app 1.0.0.tar.gz' }), { expiresIn: 300, signingDate: new Date(clock.now()) });
    const future = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'api/app 1.0.0.tar.gz' }), { expiresIn: 300, signingDate: new Date(clock.now() + 3_600_000) });
    const missing = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'api/gone.tar.gz' }), { expiresIn: 300, signingDate: new Date(clock.now()) });

    // Act
    const fresh = world.s3.download(url, clock.now() + 299_000);
    const expired = world.s3.download(url, clock.now() + 301_000);
    const signedLater = world.s3.download(future, clock.now());
    const gone = world.s3.download(missing, clock.now());
    const unsigned = world.s3.download(`https://${BUCKET}.s3.us-east-1.amazonaws.com/api/app%201.0.0.tar.gz`, clock.now());

    // Assess
    expect(fresh !== undefined && 'file' in fresh ? [...readFileSync(fresh.file)] : fresh).toEqual([1, 2, 3]);
    expect(expired).toEqual({ refusal: { code: 'AccessDenied', message: 'Request has expired' } });
    expect(signedLater).toMatchObject({ refusal: { code: 'RequestTimeTooSkewed' } });
    expect(gone).toMatchObject({ refusal: { code: 'NoSuchKey' } });
    expect(unsigned).toEqual({ refusal: { code: 'AccessDenied', message: 'Access Denied' } });
    expect(world.s3.download('https://example.com/app.tar.gz', clock.now())).toBeUndefined();
    expect(fileURLToPath(`file://${world.s3.missingFile('x')}`)).toContain('refused');
  });

  it('fails loudly on what it does not simulate, in S3, EC2, SSM and Secrets Manager alike', async () => {
    // Prepare
    installed = installWorld();
    const region = 'us-east-1';

    // Act
    const refused = await Promise.all([
      rejectionOf(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'x' }))),
      rejectionOf(new EC2Client({ region }).send(new TerminateInstancesCommand({ InstanceIds: ['i-0a1b2c3d4e5f60001'] }))),
      rejectionOf(new SSMClient({ region }).send(new SendAutomationSignalCommand({ AutomationExecutionId: 'x', SignalType: 'Approve' }))),
      rejectionOf(new SecretsManagerClient({ region }).send(new DeleteSecretCommand({ SecretId: 'x' }))),
    ]);

    // Assess
    expect(refused.map((e) => e.name)).toEqual(['SimulationNotImplemented', 'SimulationNotImplemented', 'SimulationNotImplemented', 'SimulationNotImplemented']);
    expect(installed.world.calls.map((c) => c.action)).toEqual(['s3:DeleteObject', 'ec2:TerminateInstances', 'ssm:SendAutomationSignal', 'secretsmanager:DeleteSecret']);
  });
});

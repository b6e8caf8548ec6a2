import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, S3Client, S3ServiceException, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/validate-input.ts';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { VmDeploymentSchema } from '../../../lambdas/shared/vm-deployment.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { CONFIG_DOCUMENT, EXECUTION_ARN, EXECUTION_NAME, EXECUTION_START, stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { vmBlueGreen, vmCanary, vmRolling } from '../../support/vm-config-fixtures.ts';

const s3Mock = mockClient(S3Client);

const SHA256 = '0123456789abcdef'.repeat(4);
const ARTIFACT = 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz';

/** The strategy of each VM service of the test config: an execution runs on that strategy's state machine. */
const STRATEGY_OF: Readonly<Record<string, string>> = Object.fromEntries(
  [vmRolling(), vmCanary(), vmBlueGreen()].map((svc) => [svc.name, svc.strategy]),
);

/** An execution of `service`'s state machine (`EcsDeployer-vm-<strategy>`). */
function executionArnOf(service: unknown): string {
  return EXECUTION_ARN.replace(':EcsDeployer-ecs-rolling:', `:EcsDeployer-vm-${STRATEGY_OF[String(service)] ?? 'rolling'}:`);
}

function eventFor(request: unknown) {
  const service = typeof request === 'object' && request !== null ? (request as { service?: unknown }).service : undefined;
  return { request, execution: { id: executionArnOf(service), name: EXECUTION_NAME, startTime: EXECUTION_START } };
}

/** A GetObject answer whose body is `text`. */
function body(text: string): GetObjectCommandOutput {
  return { $metadata: {}, Body: { transformToString: async () => text } } as unknown as GetObjectCommandOutput;
}

/** An S3 error as the SDK throws it. */
function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

/** The artifact and its checksum object exist. */
function artifactUploaded(checksumFile = `${SHA256}  api-vm-1.4.0.tar.gz\n`): void {
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1024 });
  s3Mock.on(GetObjectCommand).resolves(body(checksumFile));
}

describe('ValidateInput for a VM service', () => {
  beforeEach(() => {
    s3Mock.reset();
    stubDeployerEnv(parseConfig({ ecs: CONFIG_DOCUMENT.ecs, vm: [vmRolling(), vmCanary({ canary: { approval: true } }), vmBlueGreen()] }));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('accepts an uploaded artifact with its KEY.sha256, reading the version from the file name', async () => {
    // Prepare
    artifactUploaded();

    // Act
    const deployment = await handler(eventFor({ service: 'api-vm', artifact: ARTIFACT, startedBy: 'alice', reason: 'release 1.4.0' }), lambdaContext());

    // Assess
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'acme-artifacts', Key: 'api/api-vm-1.4.0.tar.gz' });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'acme-artifacts', Key: 'api/api-vm-1.4.0.tar.gz.sha256' });
    expect(VmDeploymentSchema.parse(deployment)).toMatchObject({
      service: 'api-vm',
      kind: 'vm',
      strategy: 'rolling',
      image: ARTIFACT,
      imageTag: '1.4.0',
      artifact: { bucket: 'acme-artifacts', key: 'api/api-vm-1.4.0.tar.gz', version: '1.4.0', sha256: SHA256 },
      startedBy: 'alice',
      reason: 'release 1.4.0',
      requestedAt: EXECUTION_START,
      executionId: executionArnOf('api-vm'),
      executionName: EXECUTION_NAME,
      executionStartTime: EXECUTION_START,
      release: { installDir: '/opt/api' },
      targets: { executor: 'ssm', ec2Tags: { app: 'api' } },
      batches: ['25%', '50%', '100%'],
    });
  });

  it('takes sha256 and version from the input when given, without reading KEY.sha256', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).resolves({});

    // Act
    const deployment = await handler(
      eventFor({ service: 'api-vm', artifact: ARTIFACT, sha256: SHA256.toUpperCase(), version: 'hotfix-2' }),
      lambdaContext(),
    );

    // Assess
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(deployment).toMatchObject({ imageTag: 'hotfix-2', artifact: { version: 'hotfix-2', sha256: SHA256 }, startedBy: 'console' });
  });

  it('gives every approval of a blue-green its timeout, as for ECS', async () => {
    // Prepare
    stubDeployerEnv(parseConfig({ vm: [vmBlueGreen({ steps: [{ approval: true }, { weight: 100, bake: '1m' }], approvalTimeout: '2h' })] }));
    artifactUploaded();

    // Act
    const deployment = await handler(eventFor({ service: 'portal-vm', artifact: 's3://acme-artifacts/portal/portal-vm-3.tar.gz' }), lambdaContext());

    // Assess
    expect(deployment).toMatchObject({ imageTag: '3', steps: [{ kind: 'approval', timeoutSeconds: 7200 }, { kind: 'weight', weight: 100 }] });
  });

  describe('refuses bad input before anything is changed', () => {
    it.each([
      ['an artifact of another bucket', { service: 'api-vm', artifact: 's3://other-bucket/api/api-vm-1.4.0.tar.gz' }, /^artifact: bucket 'other-bucket' is not the one configured for api-vm \('acme-artifacts'\); e.g. s3:\/\/acme-artifacts\/api\/api-vm-1.4.0.tar.gz$/],
      ['an artifact outside the prefix', { service: 'api-vm', artifact: 's3://acme-artifacts/worker/api-vm-1.4.0.tar.gz' }, /^artifact: 'worker\/api-vm-1.4.0.tar.gz' is not under api-vm's prefix 'api\/'/],
      ['an artifact the pattern does not match', { service: 'api-vm', artifact: 's3://acme-artifacts/api/api-vm-1.4.0.zip' }, /^artifact: 'api-vm-1.4.0.zip' \(after the prefix\) does not match api-vm's pattern '\*.tar.gz'/],
      ['an artifact in a folder below the prefix (* does not cross /)', { service: 'api-vm', artifact: 's3://acme-artifacts/api/old/api-vm-1.tar.gz' }, /does not match api-vm's pattern/],
      ['an HTTPS URL instead of an S3 URI', { service: 'api-vm', artifact: 'https://acme-artifacts.s3.amazonaws.com/api/api-vm-1.4.0.tar.gz' }, /^invalid deployment input: artifact: an S3 URI/],
      ['an ECS image for a VM service', { service: 'api-vm', image: 'web:v1' }, /image/],
      ['a version that could reach the shell', { service: 'api-vm', artifact: ARTIFACT, version: '1.4.0;reboot' }, /version: letters, digits/],
      ['a file name that gives no release name', { service: 'api-vm', artifact: 's3://acme-artifacts/api/api-vm-1.4.0+build.7.tar.gz' }, /^version: no release name can be read from the file name 'api-vm-1.4.0\+build.7.tar.gz'.*pass version/],
      ['an artifact for an ECS service', { service: 'web', artifact: ARTIFACT }, /^invalid deployment input: (?:.*)artifact/],
    ])('refuses %s as InvalidInput naming the field, without asking S3', async (_what, request, message) => {
      // Act
      const result = handler(eventFor(request), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(message) });
      expect(s3Mock).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['does not exist', new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'NotFound' })],
      ['may not be read', s3Error('AccessDenied', 403)],
      ['is refused without an error code (a HEAD has no body)', s3Error('UnknownError', 403)],
    ])('refuses an artifact that %s, naming its URI', async (_what, error) => {
      // Prepare
      s3Mock.on(HeadObjectCommand).rejects(error);

      // Act
      const result = handler(eventFor({ service: 'api-vm', artifact: ARTIFACT, sha256: SHA256 }), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringMatching(/^artifact: s3:\/\/acme-artifacts\/api\/api-vm-1.4.0.tar.gz does not exist or the deployer may not read it .*upload it first or fix the URI$/),
      });
    });

    it('refuses an artifact with no checksum: neither sha256 in the input nor KEY.sha256 beside it', async () => {
      // Prepare
      s3Mock.on(HeadObjectCommand).resolves({});
      s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }));

      // Act
      const result = handler(eventFor({ service: 'api-vm', artifact: ARTIFACT }), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringMatching(/^sha256: the artifact s3:\/\/acme-artifacts\/api\/api-vm-1.4.0.tar.gz has no verifiable checksum .*upload api\/api-vm-1.4.0.tar.gz.sha256 \(sha256sum output\) or pass sha256$/),
      });
    });

    it.each([
      ['is empty', ''],
      ['holds a shorter hash', `${SHA256.slice(1)}  api-vm-1.4.0.tar.gz`],
      ['starts with something else', `sha256: ${SHA256}`],
    ])('refuses a KEY.sha256 that %s', async (_what, text) => {
      // Prepare
      artifactUploaded(text);

      // Act
      const result = handler(eventFor({ service: 'api-vm', artifact: ARTIFACT }), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message: 'sha256: s3://acme-artifacts/api/api-vm-1.4.0.tar.gz.sha256 does not start with a SHA-256 (64 hexadecimal digits, as sha256sum writes); fix it or pass sha256',
      });
    });
  });

  describe('leaves AWS failures to the state machine', () => {
    it.each([
      ['HeadObject', 'SlowDown', 503, 'TransientAwsError'],
      ['HeadObject', 'InternalError', 500, 'TransientAwsError'],
      ['HeadObject', 'InvalidObjectState', 400, 'AwsCallFailed'],
      ['GetObject', 'InternalError', 500, 'TransientAwsError'],
    ])('turns %s %s (%i) into %s, not an input rejection', async (call, name, status, expected) => {
      // Prepare
      artifactUploaded();
      s3Mock.on(call === 'HeadObject' ? HeadObjectCommand : GetObjectCommand).rejects(s3Error(name, status));

      // Act
      const result = handler(eventFor({ service: 'api-vm', artifact: ARTIFACT }), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: expected, message: expect.stringContaining(`s3:${call} failed: ${name}`) });
    });
  });
});

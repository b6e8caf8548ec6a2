import {
  DescribeImagesCommand,
  ECRClient,
  ECRServiceException,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/validate-input.ts';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  ACCOUNT,
  DIGEST,
  EXECUTION_ARN,
  EXECUTION_NAME,
  EXECUTION_START,
  LISTENER_ARN,
  OTHER_DIGEST,
  REGION,
  REGISTRY,
  CHECKOUT_CANARY_TG,
  CHECKOUT_TG,
  CONFIG_DOCUMENT,
  configuredService,
  executionOf,
  stubDeployerEnv,
  testConfig,
} from '../../support/lambda-fixtures.ts';

const ecrMock = mockClient(ECRClient);

/**
 * The event the ValidateInput state sends: the execution input and
 * `$$.Execution`, on the state machine of the service's strategy (the
 * rolling one for a service the config does not have).
 */
function eventFor(request: unknown, startTime = EXECUTION_START) {
  const service = typeof request === 'object' && request !== null ? (request as { service?: unknown }).service : undefined;
  const strategy = testConfig().ecs.find((s) => s.name === service)?.strategy ?? 'rolling';
  const execution = strategy === 'rolling' ? { name: EXECUTION_NAME, arn: EXECUTION_ARN } : executionOf(String(service), strategy);
  return { request, execution: { id: execution.arn, name: execution.name, startTime } };
}

function ecrHasImage(digest: string, tags: string[] = []): void {
  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: [{ registryId: ACCOUNT, repositoryName: 'web', imageDigest: digest, imageTags: tags }],
  });
}

describe('ValidateInput', () => {
  beforeEach(() => {
    ecrMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('pins a console request by tag to the digest ECR has for that tag', async () => {
    // Prepare
    const web = configuredService('web');
    ecrHasImage(DIGEST, ['v1.2.0']);
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1.2.0` });

    // Act
    const deployment = await handler(event, lambdaContext());

    // Assess
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: ACCOUNT,
      repositoryName: 'web',
      imageIds: [{ imageTag: 'v1.2.0' }],
    });
    expect(deployment).toEqual({
      service: 'web',
      kind: 'ecs',
      strategy: 'rolling',
      repository: 'web',
      ecs: { cluster: 'prod', container: 'app', primary: { service: 'web' } },
      steps: [],
      verification: {
        alarms: ['web-5xx-rate', 'web-p99-latency'],
        preexistingAlarms: 'report',
        intervalSeconds: 30,
        healthCheck: web.healthCheck,
      },
      bakeSeconds: 300,
      deploymentTimeoutSeconds: 1200,
      keepWarmSeconds: 0,
      approvalTimeoutSeconds: 1,
      image: `${REGISTRY}/web@${DIGEST}`,
      imageTag: 'v1.2.0',
      startedBy: 'console',
      requestedAt: EXECUTION_START,
      executionId: EXECUTION_ARN,
      executionName: EXECUTION_NAME,
      executionStartTime: EXECUTION_START,
    });
  });

  it('carries a canary service’s listener, target groups, canary service, steps and comparison thresholds', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    const event = eventFor({ service: 'checkout', image: `${REGISTRY}/checkout:v2.0.0` });

    // Act
    const deployment = await handler(event, lambdaContext());

    // Assess
    expect(deployment).toMatchObject({
      strategy: 'canary',
      ecs: {
        cluster: 'prod',
        container: 'app',
        primary: { service: 'checkout', targetGroupArn: CHECKOUT_TG },
        canary: { service: 'checkout-canary', targetGroupArn: CHECKOUT_CANARY_TG, owned: false },
      },
      loadBalancer: { listenerArn: LISTENER_ARN },
      verification: {
        alarms: ['checkout-5xx-rate'],
        comparison: { maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100, maxExtraBakeSeconds: 600 },
      },
    });
    expect(deployment.steps.map((step) => (step.kind === 'weight' ? step.weight : 'approval'))).toEqual([10, 25, 'approval', 50, 100]);
  });

  it('fills each approval step’s timeout from approvalTimeout unless the step gives its own', async () => {
    // Prepare
    const checkout = CONFIG_DOCUMENT.ecs.find((s) => s.name === 'checkout')!;
    const payments = CONFIG_DOCUMENT.ecs.find((s) => s.name === 'payments')!;
    stubDeployerEnv(parseConfig({ ecs: [{ ...checkout, approvalTimeout: '30m' }, payments] }));
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });

    // Act
    const canary = await handler(eventFor({ service: 'checkout', image: `${REGISTRY}/checkout:v2.0.0` }), lambdaContext());
    const blueGreen = await handler(eventFor({ service: 'payments', image: `${REGISTRY}/payments:v2.0.0` }), lambdaContext());

    // Assess
    expect(canary.steps[2]).toEqual({ kind: 'approval', timeoutSeconds: 1800 });
    expect(canary.approvalTimeoutSeconds).toBe(1800);
    // payments' approval says `timeout: 1h`; its approvalTimeout is the default 4h.
    expect(blueGreen.steps[1]).toEqual({ kind: 'approval', timeoutSeconds: 3600 });
    expect(blueGreen.approvalTimeoutSeconds).toBe(4 * 3600);
  });

  it('gives the approval steps the default approvalTimeout of 4h', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });

    // Act
    const deployment = await handler(eventFor({ service: 'checkout', image: `${REGISTRY}/checkout:v2.0.0` }), lambdaContext());

    // Assess
    expect(deployment.steps.filter((step) => step.kind === 'approval')).toEqual([{ kind: 'approval', timeoutSeconds: 4 * 3600 }]);
  });

  it('carries both colours, the test listener and the test URL of a blue-green service', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });

    // Act
    const deployment = await handler(eventFor({ service: 'payments', image: `${REGISTRY}/payments:v2.0.0` }), lambdaContext());

    // Assess
    expect(deployment).toMatchObject({
      strategy: 'blue-green',
      ecs: { blue: { service: 'payments-blue' }, green: { service: 'payments-green' } },
      loadBalancer: { listenerArn: expect.stringContaining(':listener-rule/'), testListenerArn: expect.stringContaining(':listener/') },
      verification: { testUrl: 'https://payments.example.com:8443/payments/health' },
      keepWarmSeconds: 900,
    });
    expect(deployment.verification.healthCheck).not.toHaveProperty('testUrl');
  });

  it('uses the cluster name when the config gives the cluster ARN', async () => {
    // Prepare
    const web = CONFIG_DOCUMENT.ecs.find((s) => s.name === 'web')!;
    stubDeployerEnv(parseConfig({ ecs: [{ ...web, cluster: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod` }] }));
    ecrHasImage(DIGEST);

    // Act
    const deployment = await handler(eventFor({ service: 'web', image: `${REGISTRY}/web:v1.2.0` }), lambdaContext());

    // Assess
    expect(deployment).toMatchObject({ kind: 'ecs', ecs: { cluster: 'prod' } });
  });

  it('normalises requestedAt to UTC with milliseconds so requests order as strings', async () => {
    // Prepare
    ecrHasImage(DIGEST);
    const event = eventFor({
      service: 'web',
      image: `${REGISTRY}/web:v1.2.0`,
      requestedAt: '2026-01-31T13:30:00+01:00',
      startedBy: 'alice',
      reason: 'hotfix',
    });

    // Act
    const deployment = await handler(event, lambdaContext());

    // Assess
    expect(deployment.requestedAt).toBe('2026-01-31T12:30:00.000Z');
    expect(deployment).toMatchObject({ startedBy: 'alice', reason: 'hotfix' });
  });

  it('keeps the digest and tag of a request that names both, after checking the digest in ECR', async () => {
    // Prepare
    ecrHasImage(DIGEST, ['v1.3.0']);
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1.3.0@${DIGEST}`, startedBy: 'ecr-push' });

    // Act
    const deployment = await handler(event, lambdaContext());

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: DIGEST }] });
    expect(deployment).toMatchObject({ image: `${REGISTRY}/web@${DIGEST}`, imageTag: 'v1.3.0', startedBy: 'ecr-push' });
  });

  it('copies no health check into a service that has none', async () => {
    // Prepare
    const orders = configuredService('orders-api');
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    const event = eventFor({ service: 'orders-api', image: `${REGISTRY}/team/orders-api:release-7` });

    // Act
    const deployment = await handler(event, lambdaContext());

    // Assess
    expect(deployment.verification).not.toHaveProperty('healthCheck');
    expect(deployment).toMatchObject({
      image: `${REGISTRY}/team/orders-api@${DIGEST}`,
      verification: { alarms: orders.alarms },
      bakeSeconds: 120,
    });
  });

  describe('rejects bad input before anything is changed', () => {
    it.each([
      ['no service', { image: `${REGISTRY}/web:v1` }, /service: required/],
      ['a misspelt key', { servce: 'web', image: `${REGISTRY}/web:v1` }, /unknown field 'servce'/],
      ['an image that is not from ECR', { service: 'web', image: 'docker.io/library/nginx:1.27' }, /image: 'docker\.io\/library\/nginx:1\.27' is not an ECR image/],
      ['an image from another repository', { service: 'web', image: `${REGISTRY}/team/orders-api:v1` }, /image: repository 'team\/orders-api' is not the one configured for web \('web'\)/],
      ['an image with neither tag nor digest', { service: 'web', image: `${REGISTRY}/web` }, /image: give a tag/],
      ['a requestedAt that is not a time', { service: 'web', image: `${REGISTRY}/web:v1`, requestedAt: 'yesterday' }, /requestedAt: /],
      ['a request that is not an object', 'web:v1', /invalid deployment input/],
    ])('rejects %s as InvalidInput naming the field, without asking ECR', async (_what, request, message) => {
      // Prepare
      const event = eventFor(request);

      // Act
      const result = handler(event, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(message) });
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['checkout', 'canary', 'rolling'],
      ['web', 'rolling', 'blue-green'],
    ] as const)('refuses to deploy %s (%s) on the %s state machine, naming the right one, without asking ECR', async (service, strategy, machine) => {
      // Prepare
      const execution = executionOf(service, machine);
      const event = { request: { service, image: `${REGISTRY}/${configuredService(service).repository}:v1` }, execution: { id: execution.arn, name: execution.name, startTime: EXECUTION_START } };

      // Act
      const result = handler(event, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`service: ${service} deploys with ${strategy}, but this execution runs on `),
      });
      await expect(result).rejects.toThrow(`whose name ends in -ecs-${strategy}`);
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('names the configured services when the service is unknown', async () => {
      // Prepare
      const configured = testConfig().ecs.map((s) => s.name);
      const event = eventFor({ service: 'billing', image: `${REGISTRY}/billing:v1` });

      // Act
      const result = handler(event, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringMatching(/^service: 'billing' is not in the deployer config/),
      });
      await expect(result).rejects.toThrow(`configured services: ${configured.join(', ')}`);
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('images of another registry', () => {
    const SHARED = { accountId: '111122223333', region: 'us-west-2' };
    const SHARED_REGISTRY = '111122223333.dkr.ecr.us-west-2.amazonaws.com';
    /** The test config's `web`, with its images in the shared registry. */
    function webFromSharedRegistry(): void {
      const web = CONFIG_DOCUMENT.ecs.find((s) => s.name === 'web')!;
      stubDeployerEnv(parseConfig({ ecs: [{ ...web, registry: SHARED }] }));
    }
    /** The region of the client each DescribeImages was sent with. */
    const regions: string[] = [];
    beforeEach(() => {
      regions.length = 0;
      ecrMock.on(DescribeImagesCommand).callsFake(async (_input: unknown, getClient: () => ECRClient) => {
        regions.push(await getClient().config.region());
        return { imageDetails: [{ imageDigest: DIGEST }] };
      });
    });

    it.each([
      ['another account', `999999999999.dkr.ecr.${REGION}.amazonaws.com/web:v1.2.0`, `account 999999999999, ${REGION}`, `registry: { accountId: "999999999999", region: ${REGION} }`],
      ['another region', `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/web:v1.2.0`, `account ${ACCOUNT}, us-west-2`, `registry: { accountId: "${ACCOUNT}", region: us-west-2 }`],
    ])('refuses an image of %s than the deployer’s, saying which registry line would allow it, without asking ECR', async (_what, image, given, line) => {
      // Prepare
      const event = eventFor({ service: 'web', image });

      // Act
      const result = handler(event, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message:
          `image: the image is in the ECR registry of ${given}, not the deployer's own (account ${ACCOUNT}, ${REGION}); ` +
          `web deploys images from ${REGISTRY} only. To deploy from that registry, name it in web's config: ${line}`,
      });
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });

    it('resolves an image of the registry the service names there: its account and its region', async () => {
      // Prepare
      webFromSharedRegistry();
      const event = eventFor({ service: 'web', image: `${SHARED_REGISTRY}/web:v1.2.0` });

      // Act
      const deployment = await handler(event, lambdaContext());

      // Assess
      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { registryId: '111122223333', repositoryName: 'web', imageIds: [{ imageTag: 'v1.2.0' }] });
      expect(regions).toEqual(['us-west-2']);
      expect(deployment.image).toBe(`${SHARED_REGISTRY}/web@${DIGEST}`);
    });

    it('resolves an image of the deployer’s own registry in the deployer’s region', async () => {
      // Prepare
      const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1.2.0` });

      // Act
      await handler(event, lambdaContext());

      // Assess
      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { registryId: ACCOUNT });
      expect(regions).toEqual([REGION]);
    });

    it('refuses an image of the deployer’s own registry for a service that names another one', async () => {
      // Prepare
      webFromSharedRegistry();
      const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1.2.0` });

      // Act
      const result = handler(event, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'InvalidInput',
        message:
          `image: the image is in the ECR registry of account ${ACCOUNT}, ${REGION}, not the one web's config names ` +
          `(registry: { accountId: "111122223333", region: us-west-2 }, ${SHARED_REGISTRY}); push it there, or change the config`,
      });
      expect(ecrMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('tags outside tagPattern', () => {
    it('deploys a tag outside the service’s tagPattern when asked by hand, and marks it', async () => {
      // Prepare: web's tagPattern is "v*".
      ecrHasImage(DIGEST, ['hotfix-42']);
      const event = eventFor({ service: 'web', image: `${REGISTRY}/web:hotfix-42`, startedBy: 'alice' });

      // Act
      const deployment = await handler(event, lambdaContext());

      // Assess
      expect(deployment).toMatchObject({ imageTag: 'hotfix-42', outsideTagPattern: true, startedBy: 'alice' });
    });

    it.each([
      ['a tag that matches', `${REGISTRY}/web:v1.2.0`],
      ['a digest without a tag', `${REGISTRY}/web@${DIGEST}`],
    ])('does not mark %s', async (_what, image) => {
      // Prepare
      ecrHasImage(DIGEST, ['v1.2.0']);

      // Act
      const deployment = await handler(eventFor({ service: 'web', image }), lambdaContext());

      // Assess
      expect(deployment).not.toHaveProperty('outsideTagPattern');
    });
  });

  it('rejects a tag that is not in ECR as InvalidInput naming the image', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).rejects(
      new ImageNotFoundException({
        message: "The image with imageId {imageDigest:'null', imageTag:'v9.9.9'} does not exist within the repository",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v9.9.9` });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^image: v9\.9\.9 was not found in ECR repository web; .*fix the tag/),
    });
  });

  it('rejects an image whose repository does not exist in the account', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).rejects(
      new RepositoryNotFoundException({ message: 'repository web not found', $metadata: { httpStatusCode: 400 } }),
    );
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1` });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(`image: ECR repository web does not exist in account ${ACCOUNT}`),
    });
  });

  it('rejects a digest ECR resolves to a different one', async () => {
    // Prepare
    ecrHasImage(OTHER_DIGEST);
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web@${DIGEST}` });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining(OTHER_DIGEST) });
  });

  it('reports a throttled ECR call as TransientAwsError so the state machine retries', async () => {
    // Prepare
    const throttled = Object.assign(
      new ECRServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
      { $retryable: { throttling: true } },
    );
    ecrMock.on(DescribeImagesCommand).rejects(throttled);
    const event = eventFor({ service: 'web', image: `${REGISTRY}/web:v1.2.0` });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('ecr:DescribeImages failed: ThrottlingException'),
      cause: throttled,
    });
  });
});

import { ExecutionAlreadyExists, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { handler } from '../../../lambdas/envelope/trigger.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  ACCOUNT,
  DIGEST,
  REGION,
  REGISTRY,
  STATE_MACHINE_ARN,
  STATE_MACHINE_ARNS,
  configuredService,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';

const sfnMock = mockClient(SFNClient);

const PUSHED_AT = '2026-01-31T12:00:00Z';

/** An `ECR Image Action` event as EventBridge delivers it. */
function pushEvent(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '6f6d1e24-0b7a-4c4c-9d7e-0c3a0c2f1b11',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: ACCOUNT,
    time: PUSHED_AT,
    region: REGION,
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'web',
      'image-digest': DIGEST,
      'action-type': 'PUSH',
      'image-tag': 'v1.2.0',
      ...detail,
    },
    ...envelope,
  };
}

function executionArnOf(name: string, stateMachineArn: string = STATE_MACHINE_ARN): string {
  return stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
}

const NAME_OF_DIGEST = DIGEST.slice('sha256:'.length, 'sha256:'.length + 32);

/** Inputs of the executions started, parsed. */
function startedInputs(): Record<string, unknown>[] {
  return sfnMock.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input ?? '{}'));
}

describe('Trigger', () => {
  beforeEach(() => {
    sfnMock.reset();
    stubDeployerEnv();
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => ({
      executionArn: executionArnOf(input.name, input.stateMachineArn),
      startDate: new Date(),
    }));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('starts one deployment for a push whose tag matches, named after service and digest', async () => {
    // Prepare
    const web = configuredService('web');
    const event = pushEvent();
    const name = `web-${NAME_OF_DIGEST}`;

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name });
    expect(startedInputs()).toEqual([
      expect.objectContaining({
        service: web.name,
        image: `${REGISTRY}/web:v1.2.0@${DIGEST}`,
        startedBy: 'ecr-push',
        requestedAt: event.time,
        reason: 'push of web:v1.2.0',
      }),
    ]);
    expect(result).toEqual({ started: [{ service: 'web', executionArn: executionArnOf(name) }], duplicates: [], ignored: [] });
  });

  it('ignores a tag that does not match the service’s tagPattern, and says why', async () => {
    // Prepare
    const web = configuredService('web');
    const event = pushEvent({ 'image-tag': 'latest' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(result.ignored).toEqual([{ service: 'web', reason: `tag latest does not match tagPattern ${web.tagPattern}` }]);
  });

  describe('pushes to another registry (events forwarded from another account or region)', () => {
    it.each([
      ['another account', { account: '999999999999' }, `account 999999999999, ${REGION}`],
      ['another region', { region: 'us-west-2' }, `account ${ACCOUNT}, us-west-2`],
    ])('ignores a push to %s than the deployer’s, and says which registry line would deploy it', async (_what, envelope, given) => {
      // Prepare
      const event = pushEvent({}, envelope);

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(result.started).toEqual([]);
      expect(result.ignored).toEqual([
        {
          service: 'web',
          reason: expect.stringMatching(
            new RegExp(`^push of web:v1\.2\.0 ignored: the image is in the ECR registry of ${given}, not the deployer's own .*: registry: \{ accountId: `),
          ),
        },
      ]);
    });

    it('deploys a push to the registry a service names, with that registry in the image', async () => {
      // Prepare
      const web = configuredService('web');
      stubDeployerEnv(parseConfig({ ecs: [{ ...web, registry: { accountId: '111122223333', region: 'us-west-2' } }] }));
      const event = pushEvent({}, { account: '111122223333', region: 'us-west-2' });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.started).toHaveLength(1);
      expect(startedInputs()).toEqual([expect.objectContaining({ image: `111122223333.dkr.ecr.us-west-2.amazonaws.com/web:v1.2.0@${DIGEST}` })]);
    });

    it('ignores a push to the deployer’s own registry for a service that names another one', async () => {
      // Prepare
      const web = configuredService('web');
      stubDeployerEnv(parseConfig({ ecs: [{ ...web, registry: { accountId: '111122223333', region: 'us-west-2' } }] }));
      const event = pushEvent();

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(result.ignored).toEqual([{ service: 'web', reason: expect.stringContaining("not the one web's config names") }]);
    });
  });

  it('names an untagged push to another registry as untagged', async () => {
    // Prepare
    const event = pushEvent({ 'image-tag': undefined }, { account: '999999999999' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result.ignored).toEqual([{ service: 'web', reason: expect.stringMatching(/^push of web:\(untagged\) ignored: the image is in the ECR registry of account 999999999999/) }]);
  });

  it.each([
    ['without a tag', undefined],
    ['with an empty tag', ''],
  ])('ignores a push %s', async (_what, tag) => {
    // Prepare
    const event = pushEvent({ 'image-tag': tag });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(result.ignored).toEqual([{ service: 'web', reason: expect.stringContaining('untagged push') }]);
  });

  it('ignores a push to a repository no service deploys from', async () => {
    // Prepare
    const event = pushEvent({ 'repository-name': 'team/batch-jobs' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(result.ignored).toEqual([{ reason: 'repository team/batch-jobs is not configured for any service' }]);
  });

  it('ignores an image deletion', async () => {
    // Prepare
    const event = pushEvent({ 'action-type': 'DELETE' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(result.ignored).toEqual([{ reason: 'not a successful push (DELETE SUCCESS)' }]);
  });

  it('ignores a push that failed', async () => {
    // Prepare
    const event = pushEvent({ result: 'FAILURE' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(result.ignored).toEqual([{ reason: 'not a successful push (PUSH FAILURE)' }]);
  });

  it('accepts an event time with a UTC offset', async () => {
    // Prepare
    const event = pushEvent({}, { time: '2026-01-31T13:00:00+01:00' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result.started).toHaveLength(1);
  });

  it.each([
    ['without an image digest', pushEvent({ 'image-digest': undefined }), /detail\.image-digest: required/],
    ['with a digest that is not sha256', pushEvent({ 'image-digest': 'md5:abc' }), /detail\.image-digest: sha256:<64 hex digits>/],
    ['with a digest behind a prefix', pushEvent({ 'image-digest': `oci-${DIGEST}` }), /detail\.image-digest: sha256:<64 hex digits>/],
    ['with a digest of 65 hex digits', pushEvent({ 'image-digest': `${DIGEST}0` }), /detail\.image-digest: sha256:<64 hex digits>/],
    ['from an account id of 13 digits', pushEvent({}, { account: `${ACCOUNT}0` }), /account: a 12-digit AWS account id/],
    ['from an account id behind a prefix', pushEvent({}, { account: `x${ACCOUNT}` }), /account: a 12-digit AWS account id/],
    ['from another source', pushEvent({}, { source: 'aws.s3' }), /source: /],
    ['without a time', pushEvent({}, { time: undefined }), /time: required/],
  ])('rejects an event %s as InvalidInput naming the field, starting nothing', async (_what, event, message) => {
    // Prepare
    const context = lambdaContext();

    // Act
    const result = handler(event, context);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(message) });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('reports a redelivered event as a duplicate instead of failing', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }),
    );
    const event = pushEvent();

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result.started).toEqual([]);
    expect(result.duplicates).toEqual([
      { service: 'web', executionName: `web-${NAME_OF_DIGEST}` },
    ]);
  });

  it('starts only the services whose pattern matches when several deploy from one repository', async () => {
    // Prepare
    const base = { strategy: 'rolling', cluster: 'prod', container: 'app', repository: 'shop' };
    stubDeployerEnv(
      parseConfig({
        ecs: [
          { ...base, name: 'shop', service: 'shop', tagPattern: 'v*' },
          { ...base, name: 'shop-canary', service: 'shop-canary', tagPattern: 'canary-*' },
          { ...base, name: 'shop-preview', service: 'shop-preview', tagPattern: '*-1?' },
        ],
      }),
    );
    const event = pushEvent({ 'repository-name': 'shop', 'image-tag': 'canary-17' });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(startedInputs().map((input) => input.service)).toEqual(['shop-canary', 'shop-preview']);
    expect(result.ignored).toEqual([{ service: 'shop', reason: 'tag canary-17 does not match tagPattern v*' }]);
  });

  it.each([
    ['checkout', 'canary'],
    ['payments', 'blue-green'],
  ] as const)('starts %s on the state machine of its strategy (%s)', async (service, strategy) => {
    // Prepare
    const event = pushEvent({ 'repository-name': service });

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARNS[strategy],
      name: `${service}-${NAME_OF_DIGEST}`,
    });
    expect(result.started).toEqual([{ service, executionArn: executionArnOf(`${service}-${NAME_OF_DIGEST}`, STATE_MACHINE_ARNS[strategy]) }]);
  });

  it('fails, starting nothing, when the stack gave no state machine for the service’s strategy', async () => {
    // Prepare
    vi.stubEnv('DEPLOYER_STATE_MACHINES', JSON.stringify({ rolling: STATE_MACHINE_ARN }));
    const event = pushEvent({ 'repository-name': 'checkout' });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toThrow('DEPLOYER_STATE_MACHINES has no state machine for canary: the function is misconfigured');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('fails with TransientAwsError when Step Functions throttles, so the event is delivered again', async () => {
    // Prepare
    const throttled = Object.assign(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
      { $retryable: { throttling: true } },
    );
    sfnMock.on(StartExecutionCommand).rejects(throttled);

    // Act
    const result = handler(pushEvent(), lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('states:StartExecution failed: ThrottlingException'),
    });
  });

  describe('logs, for an operator tracing what a push did', () => {
    /** What the handler logged at `level`: message and attributes, in order. */
    function logged(level: 'info' | 'error'): unknown[][] {
      return vi.mocked(logger[level]).mock.calls.map((call) => [...call]);
    }

    beforeEach(() => {
      vi.spyOn(logger, 'info');
      vi.spyOn(logger, 'error');
    });

    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('logs an event that is not a successful push, saying why', async () => {
      // Prepare
      const event = pushEvent({ 'action-type': 'DELETE' });

      // Act
      await handler(event, lambdaContext());

      // Assess
      expect(logged('info')).toEqual([['ignored ECR event', { reason: 'not a successful push (DELETE SUCCESS)' }]]);
    });

    it('logs each service a push was ignored for, started for, or already deploying', async () => {
      // Prepare
      const base = { strategy: 'rolling', cluster: 'prod', container: 'app', repository: 'shop' };
      stubDeployerEnv(
        parseConfig({
          ecs: [
            { ...base, name: 'shop', service: 'shop', tagPattern: 'v*' },
            { ...base, name: 'shop-canary', service: 'shop-canary', tagPattern: 'canary-*' },
            { ...base, name: 'shop-preview', service: 'shop-preview', tagPattern: '*-1?' },
          ],
        }),
      );
      sfnMock
        .on(StartExecutionCommand, { name: `shop-preview-${NAME_OF_DIGEST}` })
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
      const event = pushEvent({ 'repository-name': 'shop', 'image-tag': 'canary-17' });

      // Act
      await handler(event, lambdaContext());

      // Assess
      expect(logged('info')).toEqual([
        ['ignored', { repository: 'shop', tag: 'canary-17', serviceName: 'shop', reason: 'tag canary-17 does not match tagPattern v*' }],
        ['duplicate push: deployment already started', { serviceName: 'shop-preview', executionName: `shop-preview-${NAME_OF_DIGEST}` }],
        ['deployment started', { serviceName: 'shop-canary', executionArn: executionArnOf(`shop-canary-${NAME_OF_DIGEST}`) }],
      ]);
    });

    it('logs the service a deployment could not be started for, with the error', async () => {
      // Prepare
      const denied = new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized', $metadata: { httpStatusCode: 400 } });
      sfnMock.on(StartExecutionCommand).rejects(denied);

      // Act
      const result = handler(pushEvent(), lambdaContext());

      // Assess
      await expect(result).rejects.toThrow();
      expect(logged('error')).toContainEqual([
        'could not start deployment',
        { serviceName: 'web', error: expect.objectContaining({ message: expect.stringContaining('AccessDeniedException') }) },
      ]);
    });
  });
});

/**
 * `deployer deploy`: starts the service's strategy's state machine with the
 * input a console start would give, refuses a bad input before any AWS
 * call, and with --wait follows the execution to its end, exiting by the
 * outcome (0 succeeded, 1 not, 2 input rejected) as a CI step needs.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_CANARY_TG,
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_LISTENER,
  CHECKOUT_TG,
  NOW,
  REGISTRY,
  STACK_OUTPUTS,
  awsError,
  cloudFormation,
  executionGoesThrough,
  executionIs,
  heldBy,
  historyGoesThrough,
  historyRecordIs,
  listenerWeights,
  lockIs,
  run,
  stackInstalled,
  stepFunctions,
  useInstalledDeployer,
} from './operate-fixtures.ts';
import { run as runCli } from '../../support/cli-run.ts';

const STATES = 'arn:aws:states:us-east-1:123456789012';
const WEB_STARTED = `${STATES}:execution:EcsDeployer-ecs-rolling:web-20260203T122000Z-1a2b`;
const CHECKOUT_STARTED = `${STATES}:execution:EcsDeployer-ecs-canary:checkout-20260203T122000Z-3c4d`;
const CONSOLE = 'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/';

/** StartExecution answers with `executionArn`. */
function startsAs(executionArn: string): void {
  stepFunctions.on(StartExecutionCommand).resolves({ executionArn, startDate: NOW });
}

describe('deployer deploy', () => {
  useInstalledDeployer();

  it.each([
    { service: 'web', image: `${REGISTRY}/web:v1.5.0`, stateMachine: STACK_OUTPUTS.RollingStateMachineArn },
    { service: 'checkout', image: `${REGISTRY}/checkout:v2.1.0`, stateMachine: STACK_OUTPUTS.CanaryStateMachineArn },
    { service: 'payments', image: `${REGISTRY}/payments@sha256:${'ab'.repeat(32)}`, stateMachine: STACK_OUTPUTS.BlueGreenStateMachineArn },
  ])("starts $service's strategy's state machine with the console's input, naming who and why", async ({ service, image, stateMachine }) => {
    // Prepare
    startsAs(`${stateMachine.replace(':stateMachine:', ':execution:')}:${service}-20260203T122000Z-1a2b`);

    // Act
    const { code, stderr } = await run('deploy', service, '--image', image, '--reason', 'hotfix for checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: stateMachine,
      name: expect.stringMatching(new RegExp(`^${service}-20260203T122000Z-[0-9a-f]{4}$`)),
      input: JSON.stringify({ service, image, startedBy: 'alice', reason: 'hotfix for checkout' }),
    });
  });

  it('prints the execution, its console link and how to follow it', async () => {
    // Prepare
    startsAs(WEB_STARTED);

    // Act
    const { code, stdout } = await run('deploy', 'web', '--image', `${REGISTRY}/web:v1.5.0`, '--by', 'alice', '--region', 'us-east-1');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `Started web's deployment of ${REGISTRY}/web:v1.5.0 (rolling), by alice`,
        `  execution  ${WEB_STARTED}`,
        `  console    ${CONSOLE}${WEB_STARTED}`,
        'Follow it: deployer watch web --region us-east-1',
        '',
      ].join('\n'),
    );
  });

  it('records the OS user as who started it when --by is not given', async () => {
    // Prepare
    startsAs(WEB_STARTED);
    const { osUserName } = await import('../../../bin/cli/operate/operator-identity.ts');

    // Act
    const { code } = await run('deploy', 'web', '--image', `${REGISTRY}/web:v1.5.0`);

    // Assess
    expect(code).toBe(0);
    expect(stepFunctions).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ service: 'web', image: `${REGISTRY}/web:v1.5.0`, startedBy: osUserName() }),
    });
  });

  it('says the deployment waits when another deployment of the service runs, and starts it', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING', { service: 'checkout' });
    startsAs(CHECKOUT_STARTED);

    // Act
    const { code, stderr } = await run('deploy', 'checkout', '--image', `${REGISTRY}/checkout:v2.1.0`, '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe(
      '(checkout is being deployed by checkout-5f2a9c3e1b7d: this deployment waits for it to end; if several wait, only the newest proceeds and the others end SUPERSEDED)\n',
    );
    expect(stepFunctions).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it.each([
    { argv: ['--image', `${REGISTRY}/checkout:v2.1.0`], message: "deployer: --image: repository 'checkout' is not the one configured for web ('web')\n" },
    { argv: ['--image', 'nginx:latest'], message: "deployer: --image: 'nginx:latest' is not an ECR image; expected ACCOUNT.dkr.ecr.REGION.amazonaws.com/web:TAG or ...@sha256:DIGEST\n" },
    { argv: ['--image', `${REGISTRY}/web`], message: 'deployer: --image: give a tag (…/web:v1.2.3) or a digest (…/web@sha256:…)\n' },
    { argv: ['--image', ''], message: 'deployer: --image: empty: give a value\n' },
    { argv: ['--image', `${REGISTRY}/web:v1`, '--reason', ' '], message: 'deployer: --reason: say why in 1 to 1024 characters, e.g. --reason "p99 latency doubled"\n' },
    { argv: ['--image', `${REGISTRY}/web:v1`, '--interval', '0'], message: "deployer: --interval: '0' is not a whole number from 1 to 300; e.g. --interval 5\n" },
    { argv: [], message: 'deployer: --image: required for web (an ECS service): the image to deploy, e.g. --image ACCOUNT.dkr.ecr.REGION.amazonaws.com/web:v1.2.3\n' },
    {
      argv: ['--artifact', 's3://acme-artifacts/api/web-1.4.0.tar.gz'],
      message: 'deployer: --artifact: web is an ECS service: it deploys an image, not an artifact; give --image ACCOUNT.dkr.ecr.REGION.amazonaws.com/web:v1.2.3 instead\n',
    },
    {
      argv: ['--image', `${REGISTRY}/web:v1`, '--sha256', 'ab'.repeat(32)],
      message: 'deployer: --sha256: only VM services take it (their artifact\'s checksum); web is an ECS service: leave it out, the image is pinned by its digest\n',
    },
    {
      argv: ['--image', `${REGISTRY}/web:v1`, '--version', '1.4.0'],
      message: "deployer: --version: only VM services take it (the release name on their hosts); web is an ECS service: leave it out, the image's tag is its version\n",
    },
  ])('refuses $argv with exit 2 and the flag named, before any AWS call', async ({ argv, message }) => {
    // Act
    const { code, stdout, stderr } = await run('deploy', 'web', ...argv);

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(message);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
    expect(stepFunctions).not.toHaveReceivedAnyCommand();
  });

  it('refuses a service that is not in the config with exit 2', async () => {
    // Act
    const { code, stderr } = await run('deploy', 'nope', '--image', `${REGISTRY}/nope:v1`);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe("deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm, worker-vm, portal-vm\n");
    expect(cloudFormation).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('exits 1 with one line when Step Functions refuses the start', async () => {
    // Prepare
    stepFunctions.on(StartExecutionCommand).rejects(awsError('AccessDeniedException', 'User: alice is not authorized to perform: states:StartExecution'));

    // Act
    const { code, stdout, stderr } = await run('deploy', 'web', '--image', `${REGISTRY}/web:v1.5.0`, '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'deployer: states:StartExecution failed (AccessDeniedException: User: alice is not authorized to perform: states:StartExecution); your AWS identity may not call states:StartExecution: use a role allowed to operate the deployer, or ask for that permission\n',
    );
  });

  describe('a VM service', () => {
    const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    const API_STARTED = `${STATES}:execution:EcsDeployer-vm-rolling:api-vm-20260203T122000Z-5e6f`;

    it.each([
      {
        service: 'api-vm',
        flags: ['--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--version', '1.4.0-hotfix', '--sha256', SHA],
        input: { service: 'api-vm', artifact: 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', version: '1.4.0-hotfix', sha256: SHA },
        stateMachine: STACK_OUTPUTS.VmRollingStateMachineArn,
      },
      {
        service: 'worker-vm',
        flags: ['--artifact', 's3://acme-artifacts/worker/worker-vm-2.0.0.tar.gz'],
        input: { service: 'worker-vm', artifact: 's3://acme-artifacts/worker/worker-vm-2.0.0.tar.gz' },
        stateMachine: STACK_OUTPUTS.VmCanaryStateMachineArn,
      },
      {
        service: 'portal-vm',
        flags: ['--artifact', 's3://acme-artifacts/portal/portal-vm-3.1.0.tar.gz', '--sha256', SHA.toUpperCase()],
        input: { service: 'portal-vm', artifact: 's3://acme-artifacts/portal/portal-vm-3.1.0.tar.gz', sha256: SHA.toUpperCase() },
        stateMachine: STACK_OUTPUTS.VmBlueGreenStateMachineArn,
      },
    ])("starts $service's VM strategy's state machine with the console's VM input, naming who and why", async ({ service, flags, input, stateMachine }) => {
      // Prepare
      startsAs(`${stateMachine.replace(':stateMachine:', ':execution:')}:${service}-20260203T122000Z-1a2b`);

      // Act
      const { code, stderr } = await run('deploy', service, ...flags, '--reason', 'hotfix', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
        stateMachineArn: stateMachine,
        name: expect.stringMatching(new RegExp(`^${service}-20260203T122000Z-[0-9a-f]{4}$`)),
        input: JSON.stringify({ ...input, startedBy: 'alice', reason: 'hotfix' }),
      });
    });

    it('prints the artifact, the release name the hosts get (read from the file name) and how to follow it', async () => {
      // Prepare
      startsAs(API_STARTED);

      // Act
      const { code, stdout } = await run('deploy', 'api-vm', '--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stdout).toBe(
        [
          "Started api-vm's deployment of s3://acme-artifacts/api/api-vm-1.4.0.tar.gz as release 1.4.0 (VM rolling), by alice",
          `  execution  ${API_STARTED}`,
          `  console    ${CONSOLE}${API_STARTED}`,
          'Follow it: deployer watch api-vm',
          '',
        ].join('\n'),
      );
    });

    it('takes --version after the service as the release name, not as the program\'s own --version', async () => {
      // Prepare
      startsAs(API_STARTED);

      // Act
      const { code, stdout } = await runCli('deploy', 'api-vm', '--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--version', '1.4.0-rc1', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stdout).toContain("Started api-vm's deployment of s3://acme-artifacts/api/api-vm-1.4.0.tar.gz as release 1.4.0-rc1 (VM rolling), by alice\n");
      expect(stepFunctions).toHaveReceivedCommandWith(StartExecutionCommand, {
        input: JSON.stringify({ service: 'api-vm', artifact: 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', version: '1.4.0-rc1', startedBy: 'alice' }),
      });
    });

    it.each([
      {
        argv: ['--image', `${REGISTRY}/api:v1.4.0`],
        message: 'deployer: --image: api-vm is a VM service: it deploys an artifact from S3, not an image; give --artifact s3://acme-artifacts/api/api-vm-1.4.0.tar.gz instead\n',
      },
      {
        argv: [],
        message: 'deployer: --artifact: required for api-vm (a VM service): the artifact to deploy, e.g. --artifact s3://acme-artifacts/api/api-vm-1.4.0.tar.gz\n',
      },
      {
        argv: ['--artifact', 'api-vm-1.4.0.tar.gz'],
        message: "deployer: --artifact: an S3 URI of the artifact under the service's prefix, e.g. s3://my-artifacts/api/api-1.4.0.tar.gz\n",
      },
      {
        argv: ['--artifact', 's3://other-artifacts/api/api-vm-1.4.0.tar.gz'],
        message: "deployer: --artifact: bucket 'other-artifacts' is not the one configured for api-vm ('acme-artifacts'); e.g. s3://acme-artifacts/api/api-vm-1.4.0.tar.gz\n",
      },
      {
        argv: ['--artifact', 's3://acme-artifacts/worker/api-vm-1.4.0.tar.gz'],
        message: "deployer: --artifact: 'worker/api-vm-1.4.0.tar.gz' is not under api-vm's prefix 'api/'; e.g. s3://acme-artifacts/api/api-vm-1.4.0.tar.gz\n",
      },
      {
        argv: ['--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.zip'],
        message: "deployer: --artifact: 'api-vm-1.4.0.zip' (after the prefix) does not match api-vm's pattern '*.tar.gz'; e.g. s3://acme-artifacts/api/api-vm-1.4.0.tar.gz\n",
      },
      {
        argv: ['--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--version', '1.4;reboot'],
        message: 'deployer: --version: letters, digits, . _ -, at most 64, starting with a letter or digit\n',
      },
      {
        argv: ['--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--sha256', 'abc123'],
        message: 'deployer: --sha256: 64 hexadecimal digits\n',
      },
      {
        argv: ['--artifact', 's3://acme-artifacts/api/api vm.tar.gz'],
        message: "deployer: --version: no release name can be read from the file name 'api vm.tar.gz' ('api vm' is not letters, digits, . _ -, at most 64): pass version, e.g. \"1.4.0\"\n",
      },
    ])('refuses $argv with exit 2 and the flag named, before any AWS call', async ({ argv, message }) => {
      // Act
      const { code, stdout, stderr } = await run('deploy', 'api-vm', ...argv, '--by', 'alice');

      // Assess
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(message);
      expect(cloudFormation).not.toHaveReceivedAnyCommand();
      expect(stepFunctions).not.toHaveReceivedAnyCommand();
    });

    it('exits 1 saying to update the stack when the installed stack predates VM services', async () => {
      // Prepare
      const { VmRollingStateMachineArn: _r, VmCanaryStateMachineArn: _c, VmBlueGreenStateMachineArn: _b, ...older } = STACK_OUTPUTS;
      stackInstalled(older);

      // Act
      const { code, stderr } = await run('deploy', 'api-vm', '--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--by', 'alice');

      // Assess
      expect(code).toBe(1);
      expect(stderr).toBe(
        "deployer: the stack EcsDeployer has no output VmRollingStateMachineArn, so it cannot deploy the VM service api-vm: it predates VM services; run `npx cdk deploy` in the deployer's checkout to install or update it, or pass --stack NAME (now EcsDeployer) and --region REGION if it is installed elsewhere\n",
      );
      expect(stepFunctions).not.toHaveReceivedCommand(StartExecutionCommand);
    });

    it('--wait exits 2 when the deployer rejects the artifact (no checksum beside it), as for a tag nobody pushed', async () => {
      // Prepare
      startsAs(API_STARTED);
      const cause = JSON.stringify({
        errorType: 'InvalidInput',
        errorMessage: 'sha256: the artifact s3://acme-artifacts/api/api-vm-1.4.0.tar.gz has no verifiable checksum (s3://acme-artifacts/api/api-vm-1.4.0.tar.gz.sha256: NoSuchKey); upload api/api-vm-1.4.0.tar.gz.sha256 (sha256sum output) or pass sha256',
      });
      executionGoesThrough(API_STARTED, [{ status: 'FAILED', stopDate: new Date('2026-02-03T12:20:02.000Z'), error: 'InvalidInput', cause }], {}, NOW);

      // Act
      const { code, stdout } = await run('deploy', 'api-vm', '--artifact', 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz', '--by', 'ci', '--wait');

      // Assess
      expect(code).toBe(2);
      expect(stdout).toContain(
        '    +0:02  REJECTED after 2s: InvalidInput: sha256: the artifact s3://acme-artifacts/api/api-vm-1.4.0.tar.gz has no verifiable checksum (s3://acme-artifacts/api/api-vm-1.4.0.tar.gz.sha256: NoSuchKey); upload api/api-vm-1.4.0.tar.gz.sha256 (sha256sum output) or pass sha256\n',
      );
    });
  });

  describe('--wait', () => {
    it('follows a rolling deployment to success, one line per move, and exits 0', async () => {
      // Prepare
      startsAs(WEB_STARTED);
      executionGoesThrough(
        WEB_STARTED,
        [{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'SUCCEEDED', stopDate: new Date('2026-02-03T12:31:00.000Z') }],
        {},
        NOW,
      );
      historyGoesThrough(WEB_STARTED, [
        [3, 'UpdateService', '2026-02-03T12:20:04.000Z', {}],
        [3, 'UpdateService', '2026-02-03T12:20:04.000Z', {}],
        [9, 'WaitForBake', '2026-02-03T12:26:00.000Z', { verification: { verdict: 'pass: no alarm in ALARM, health check 200 UP' } }],
      ]);
      historyRecordIs('web', 'web-20260203T122000Z-1a2b', { status: 'SUCCEEDED', reason: 'web runs web:8, verified' }, NOW);

      // Act
      const { code, stdout } = await run('deploy', 'web', '--image', `${REGISTRY}/web:v1.5.0`, '--by', 'ci', '--wait');

      // Assess
      expect(code).toBe(0);
      expect(stdout).toBe(
        [
          `Started web's deployment of ${REGISTRY}/web:v1.5.0 (rolling), by ci`,
          `  execution  ${WEB_STARTED}`,
          `  console    ${CONSOLE}${WEB_STARTED}`,
          '    +0:04  UpdateService',
          '    +6:00  WaitForBake              verdict: pass: no alarm in ALARM, health check 200 UP',
          '   +11:00  SUCCEEDED after 11m: web runs web:8, verified',
          '',
        ].join('\n'),
      );
    });

    it('shows the steps and the traffic split of a canary, and exits 1 when it rolls back, saying why', async () => {
      // Prepare
      startsAs(CHECKOUT_STARTED);
      executionGoesThrough(
        CHECKOUT_STARTED,
        [{ status: 'RUNNING' }, { status: 'FAILED', stopDate: new Date('2026-02-03T12:29:30.000Z'), error: 'RolledBack', cause: 'rolled back checkout' }],
        {},
        NOW,
      );
      const deployment = { steps: [{ kind: 'weight' }, { kind: 'weight' }], loadBalancer: { listenerArn: CHECKOUT_LISTENER } };
      historyGoesThrough(CHECKOUT_STARTED, [
        [20, 'WaitForBake', '2026-02-03T12:24:00.000Z', { deployment, progress: { step: 0, weight: 10, phase: 'bake' }, verification: { verdict: 'pass: canary 5xx 0.0%' } }],
      ]);
      listenerWeights(CHECKOUT_LISTENER, { [CHECKOUT_TG]: 90, [CHECKOUT_CANARY_TG]: 10 });
      const cause = 'rolled back checkout (checkout:7, 4 tasks; listener 100% checkout): VerificationFailed: canary 5xx 8.1% vs primary 0.2%';
      historyRecordIs('checkout', 'checkout-20260203T122000Z-3c4d', { status: 'ROLLED_BACK', reason: cause }, NOW);

      // Act
      const { code, stdout } = await run('deploy', 'checkout', '--image', `${REGISTRY}/checkout:v2.1.0`, '--by', 'ci', '--wait');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toContain(
        '    +4:00  WaitForBake              step 1 of 2: 10% on the new revision (bake) · traffic: primary checkout 90%, canary checkout-canary 10% · verdict: pass: canary 5xx 0.0%\n' +
          `    +9:30  ROLLED_BACK after 9m30s: ${cause}\n`,
      );
    });

    it('exits 2 when the deployer rejects the input (a tag nobody pushed)', async () => {
      // Prepare
      startsAs(WEB_STARTED);
      const cause = JSON.stringify({ errorType: 'InvalidInput', errorMessage: 'image: v9.9.9 was not found in ECR repository web; push it first or fix the tag' });
      executionGoesThrough(WEB_STARTED, [{ status: 'FAILED', stopDate: new Date('2026-02-03T12:20:01.000Z'), error: 'InvalidInput', cause }], {}, NOW);

      // Act
      const { code, stdout } = await run('deploy', 'web', '--image', `${REGISTRY}/web:v9.9.9`, '--by', 'ci', '--wait');

      // Assess
      expect(code).toBe(2);
      expect(stdout).toContain('    +0:01  REJECTED after 1s: InvalidInput: image: v9.9.9 was not found in ECR repository web; push it first or fix the tag\n');
    });
  });
});

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
  stepFunctions,
  useInstalledDeployer,
} from './operate-fixtures.ts';

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
    { argv: ['--image', ''], message: 'deployer: --image: Too small: expected string to have >=1 characters\n' },
    { argv: ['--image', `${REGISTRY}/web:v1`, '--reason', ' '], message: 'deployer: --reason: say why in 1 to 1024 characters, e.g. --reason "p99 latency doubled"\n' },
    { argv: ['--image', `${REGISTRY}/web:v1`, '--interval', '0'], message: "deployer: --interval: '0' is not a whole number from 1 to 300; e.g. --interval 5\n" },
    { argv: [], message: "error: required option '--image <image>' not specified\n(run with --help for usage)\n" },
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
    expect(stderr).toBe("deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm\n");
    expect(cloudFormation).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('refuses a VM service with exit 2, saying how to deploy it, before any AWS call', async () => {
    // Act
    const { code, stderr } = await run('deploy', 'api-vm', '--image', `${REGISTRY}/web:v1`);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(
      "deployer: SERVICE: 'api-vm' is a VM service; this command handles ECS services only for now: deploy it by uploading its artifact under s3://acme-artifacts/api/ or start it from the Step Functions console, and follow it with `deployer status api-vm`\n",
    );
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
    expect(stepFunctions).not.toHaveReceivedAnyCommand();
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

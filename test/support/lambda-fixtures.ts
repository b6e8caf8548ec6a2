/**
 * What the handler tests share: a config with one service per strategy, the
 * environment the stack gives the functions, validated deployments built
 * from that config the way ValidateInput builds them (a rolling, a canary and
 * a blue-green one), and the snapshots SnapshotServices/ReadWeights would
 * have taken of their services before anything changed.
 *
 * The config is written out here rather than read from `examples/`, so the
 * handler tests do not change meaning when the example is edited; a test in
 * `shared/config.test.ts` checks the example on its own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { ENV } from '../../lambdas/registry.ts';
import { configDocument, parseConfig, type DeployerConfig, type EcsServiceConfig } from '../../lambdas/shared/config.ts';
import {
  serviceSettings,
  type Deployment,
  type ServiceState,
  type Snapshot,
} from '../../lambdas/shared/deployment.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const OTHER_DIGEST = `sha256:${'cd34'.repeat(16)}`;

export const TABLE = 'deployer-test-table';
export const EVENT_BUS = 'deployer-test-bus';

/** The state machine of each strategy, as the stack names them. */
export const STATE_MACHINE_ARNS = {
  rolling: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-ecs-rolling`,
  canary: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-ecs-canary`,
  'blue-green': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:EcsDeployer-ecs-blue-green`,
} as const;
export const STATE_MACHINE_ARN = STATE_MACHINE_ARNS.rolling;

// ---------------------------------------------------------------- load balancer

const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const ALB = 'app/prod-alb/50dc6c495c0c9188';
/** The ALB dimension CloudWatch publishes the listeners' metrics under. */
export const LOAD_BALANCER_DIMENSION = ALB;
/** Production listener of the canary service (its default action forwards). */
export const LISTENER_ARN = `${ELB}:listener/${ALB}/f2f7dc8efc522ab2`;
/** Listener rule of the blue-green service (path /payments/*). */
export const LISTENER_RULE_ARN = `${ELB}:listener-rule/${ALB}/f2f7dc8efc522ab2/9683b2d02a6cabee`;
/** Test listener of the blue-green service: forwards to the idle colour. */
export const TEST_LISTENER_ARN = `${ELB}:listener/${ALB}/0467ef3c8400ae65`;
export const CHECKOUT_TG = `${ELB}:targetgroup/checkout/73e2d6bc24d8a067`;
export const CHECKOUT_CANARY_TG = `${ELB}:targetgroup/checkout-canary/2453ed029918f21f`;
export const BLUE_TG = `${ELB}:targetgroup/payments-blue/a1b2c3d4e5f60718`;
export const GREEN_TG = `${ELB}:targetgroup/payments-green/8192a3b4c5d6e7f0`;

// ---------------------------------------------------------------- config

/** The config document (as written in YAML, before defaults): two rolling services, a canary and a blue-green one. */
export const CONFIG_DOCUMENT = {
  ecs: [
    {
      name: 'web',
      strategy: 'rolling',
      cluster: 'prod',
      service: 'web',
      container: 'app',
      repository: 'web',
      tagPattern: 'v*',
      alarms: ['web-5xx-rate', 'web-p99-latency'],
      healthCheck: { url: 'https://web.example.com/health', expectedStatus: 200, body: { path: 'status', equals: 'UP' } },
      bakeSeconds: 300,
      verifyIntervalSeconds: 30,
      deploymentTimeoutSeconds: 1200,
    },
    {
      name: 'orders-api',
      strategy: 'rolling',
      cluster: 'prod',
      service: 'orders-api',
      container: 'api',
      repository: 'team/orders-api',
      tagPattern: 'release-*',
      alarms: ['orders-api-5xx-rate'],
      bakeSeconds: 120,
    },
    {
      name: 'checkout',
      strategy: 'canary',
      cluster: 'prod',
      service: 'checkout',
      container: 'app',
      repository: 'checkout',
      tagPattern: 'v*',
      loadBalancer: { listener: LISTENER_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG },
      steps: [
        { weight: 10, bake: '5m' },
        { weight: 25, bake: '5m' },
        { approval: true },
        { weight: 50, bake: '10m' },
        { weight: 100, bake: '5m' },
      ],
      alarms: ['checkout-5xx-rate'],
      healthCheck: { url: 'https://checkout.example.com/health', body: { path: 'status', equals: 'UP' } },
      verification: { maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100 },
    },
    {
      name: 'payments',
      strategy: 'blue-green',
      cluster: 'prod',
      container: 'app',
      repository: 'payments',
      tagPattern: 'v*',
      blue: { service: 'payments-blue', targetGroup: BLUE_TG },
      green: { service: 'payments-green', targetGroup: GREEN_TG },
      loadBalancer: { listener: LISTENER_RULE_ARN, testListener: TEST_LISTENER_ARN },
      steps: [{ weight: 10, bake: '2m' }, { approval: true, timeout: '1h' }, { weight: 100, bake: '5m' }],
      keepWarm: '15m',
      alarms: ['payments-5xx-rate'],
      healthCheck: {
        url: 'https://payments.example.com/payments/health',
        testUrl: 'https://payments.example.com:8443/payments/health',
        body: { path: 'status', equals: 'UP' },
      },
    },
  ],
};

/** The test config, validated. */
export function testConfig(): DeployerConfig {
  return parseConfig(structuredClone(CONFIG_DOCUMENT), 'test config');
}

/** One service of the test config. */
export function configuredService(name: string): EcsServiceConfig {
  const svc = testConfig().ecs.find((s) => s.name === name);
  if (svc === undefined) throw new Error(`the test config has no service ${name}`);
  return svc;
}

const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/deployer.config.yaml', import.meta.url));

/** The text of the example config shipped with the project. */
export function exampleConfigText(): string {
  return readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
}

/**
 * Set what the stack sets on every function; undo with `vi.unstubAllEnvs()`.
 * `config` must come from `parseConfig`: like CDK, the functions get the
 * document it was parsed from, and validate it again.
 */
export function stubDeployerEnv(config: DeployerConfig = testConfig()): void {
  vi.stubEnv('DEPLOYER_CONFIG', configDocument(config));
  vi.stubEnv(ENV.table, TABLE);
  vi.stubEnv(ENV.eventBus, EVENT_BUS);
  vi.stubEnv(ENV.stateMachines, JSON.stringify(STATE_MACHINE_ARNS));
  vi.stubEnv('AWS_REGION', REGION);
}

// ---------------------------------------------------------------- executions

export const EXECUTION_START = '2026-01-31T12:00:00.000Z';

/** The execution deploying `service` with `strategy`: `<service>-manual-1`. */
export function executionOf(service: string, strategy: keyof typeof STATE_MACHINE_ARNS = 'rolling'): { name: string; arn: string } {
  const name = `${service}-manual-1`;
  return { name, arn: `${STATE_MACHINE_ARNS[strategy].replace(':stateMachine:', ':execution:')}:${name}` };
}

export const EXECUTION_NAME = executionOf('web').name;
export const EXECUTION_ARN = executionOf('web').arn;

// ---------------------------------------------------------------- deployments

/** A validated deployment of a configured service, as ValidateInput returns it. */
export function deploymentOf(name = 'web', overrides: Partial<Deployment> = {}): Deployment {
  const svc = configuredService(name);
  const settings = serviceSettings(svc);
  const execution = executionOf(svc.name, svc.strategy);
  const deployment: Deployment = {
    ...settings,
    // ValidateInput gives every approval step its timeout.
    steps: settings.steps.map((step) =>
      step.kind === 'approval' ? { ...step, timeoutSeconds: step.timeoutSeconds ?? settings.approvalTimeoutSeconds } : step,
    ),
    image: `${REGISTRY}/${svc.repository}@${DIGEST}`,
    imageTag: 'v1.2.0',
    startedBy: 'console',
    requestedAt: EXECUTION_START,
    executionId: execution.arn,
    executionName: execution.name,
    executionStartTime: EXECUTION_START,
  };
  return { ...deployment, ...overrides };
}

/** `web`: rolling, two alarms, a health check asserting `status == "UP"`, 5 minutes of bake. */
export const rollingDeployment = (overrides: Partial<Deployment> = {}): Deployment => deploymentOf('web', overrides);
/** `checkout`: canary 10, 25, approval, 50, 100 % on a listener; the deployer creates `checkout-canary`. */
export const canaryDeployment = (overrides: Partial<Deployment> = {}): Deployment => deploymentOf('checkout', overrides);
/** `payments`: blue-green on a listener rule with a test listener; 10 %, approval (1h), 100 %, 15 minutes warm. */
export const blueGreenDeployment = (overrides: Partial<Deployment> = {}): Deployment => deploymentOf('payments', overrides);

// ---------------------------------------------------------------- snapshots

/** `arn:aws:ecs:…:task-definition/<family>:<revision>`. */
export function taskDefinitionArn(family: string, revision: number): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

export const CURRENT_TASK_DEFINITION = taskDefinitionArn('web', 41);
export const NEW_TASK_DEFINITION = taskDefinitionArn('web', 42);
export const RUNNING_IMAGE = `${REGISTRY}/web@${OTHER_DIGEST}`;

/** An ECS service as SnapshotServices found it before the deployment (`web` by default). */
export function serviceState(overrides: Partial<ServiceState> = {}): ServiceState {
  return {
    service: 'web',
    exists: true,
    taskDefinitionArn: CURRENT_TASK_DEFINITION,
    image: RUNNING_IMAGE,
    desiredCount: 4,
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    ...overrides,
  };
}

/** Before a rolling deployment of `web`: web:41 ×4. */
export function rollingSnapshot(primary: Partial<ServiceState> = {}): Snapshot {
  return { services: { primary: serviceState(primary) }, listeners: {} };
}

/** Before a canary deployment of `checkout`: checkout:7 ×4 with all traffic, no canary service yet. */
export function canarySnapshot(): Snapshot {
  return {
    services: {
      primary: serviceState({
        service: 'checkout',
        taskDefinitionArn: taskDefinitionArn('checkout', 7),
        image: `${REGISTRY}/checkout@${OTHER_DIGEST}`,
        targetGroupArn: CHECKOUT_TG,
      }),
      canary: { service: 'checkout-canary', exists: false, desiredCount: 0, targetGroupArn: CHECKOUT_CANARY_TG },
    },
    listeners: { [LISTENER_ARN]: { [CHECKOUT_TG]: 1 } },
  };
}

/** Before a blue-green deployment of `payments`: blue live on payments:12 ×3, green idle at zero. */
export function blueGreenSnapshot(): Snapshot {
  const common = { taskDefinitionArn: taskDefinitionArn('payments', 12), image: `${REGISTRY}/payments@${OTHER_DIGEST}` };
  return {
    services: {
      live: serviceState({ ...common, service: 'payments-blue', desiredCount: 3, targetGroupArn: BLUE_TG, colour: 'blue' }),
      idle: serviceState({ ...common, service: 'payments-green', desiredCount: 0, targetGroupArn: GREEN_TG, colour: 'green' }),
    },
    listeners: { [LISTENER_RULE_ARN]: { [BLUE_TG]: 100, [GREEN_TG]: 0 }, [TEST_LISTENER_ARN]: { [GREEN_TG]: 1 } },
  };
}

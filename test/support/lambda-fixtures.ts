/**
 * What the handler tests share: the example config, the environment the
 * stack gives the functions, and a validated deployment built from the
 * config the way ValidateInput builds it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import type { DeployerConfig, EcsServiceConfig } from '../../lambdas/shared/config.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';
import { serviceSettings, type Deployment, type ServiceState } from '../../lambdas/shared/deployment.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const OTHER_DIGEST = `sha256:${'cd34'.repeat(16)}`;

export const TABLE = 'deployer-test-table';
export const EVENT_BUS = 'deployer-test-bus';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:ecs-rolling`;

const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/deployer.config.yaml', import.meta.url));

export function exampleConfigText(): string {
  return readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
}

/** The shipped example config, validated. */
export function exampleConfig(): DeployerConfig {
  return parseConfigYaml(exampleConfigText(), EXAMPLE_CONFIG_PATH);
}

/** One service of the example config. */
export function exampleService(name: string): EcsServiceConfig {
  const svc = exampleConfig().ecs.find((s) => s.name === name);
  if (svc === undefined) throw new Error(`the example config has no service ${name}`);
  return svc;
}

/** Set what the stack sets on every function; undo with `vi.unstubAllEnvs()`. */
export function stubDeployerEnv(config: DeployerConfig = exampleConfig()): void {
  vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(config));
  vi.stubEnv('DEPLOYER_TABLE', TABLE);
  vi.stubEnv('DEPLOYER_EVENT_BUS', EVENT_BUS);
  vi.stubEnv('DEPLOYER_STATE_MACHINE_ARN', STATE_MACHINE_ARN);
  vi.stubEnv('AWS_REGION', REGION);
}

export const EXECUTION_NAME = 'web-manual-1';
export const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ecs-rolling:${EXECUTION_NAME}`;
export const EXECUTION_START = '2026-01-31T12:00:00.000Z';

/** A validated deployment of an example service, as ValidateInput returns it. */
export function deploymentOf(name = 'web', overrides: Partial<Deployment> = {}): Deployment {
  const svc = exampleService(name);
  const deployment: Deployment = {
    ...serviceSettings(svc),
    image: `${REGISTRY}/${svc.repository}@${DIGEST}`,
    imageTag: 'v1.2.0',
    startedBy: 'console',
    requestedAt: EXECUTION_START,
    executionId: EXECUTION_ARN,
    executionName: EXECUTION_NAME,
    executionStartTime: EXECUTION_START,
  };
  return { ...deployment, ...overrides };
}

export const CURRENT_TASK_DEFINITION = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:41`;
export const NEW_TASK_DEFINITION = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:42`;

/** The service as DescribeService found it before the deployment. */
export function currentState(overrides: Partial<ServiceState> = {}): ServiceState {
  return {
    taskDefinitionArn: CURRENT_TASK_DEFINITION,
    image: `${REGISTRY}/web@${OTHER_DIGEST}`,
    desiredCount: 4,
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    ...overrides,
  };
}

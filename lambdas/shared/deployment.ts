/**
 * What flows through the state machines.
 *
 * `DeploymentRequest` is the execution input: what the ECR trigger sends and
 * what a person types in the Step Functions console. `Deployment` is the
 * validated, self-contained description that `ValidateInput` puts at
 * `$.deployment`: every later handler reads its settings from there, so an
 * execution keeps the settings it started with even if the config changes.
 * `Snapshot` (`$.snapshot`) is what the services and listeners looked like
 * before anything changed: every rollback, and the watcher's restore after
 * a stop, returns to it.
 *
 * Every schema here is built on first use (`z.lazy`): a Lambda's cold start
 * then builds none of them, and a handler builds only the ones its events
 * hold (a zod schema costs tens of microseconds to build in a cold process,
 * and these modules hold hundreds).
 */
import * as z from 'zod';
import type { EcsServiceConfig } from './config.ts';
import { HealthCheckSchema } from './health-check-schema.ts';
import { STRATEGIES } from './strategies.ts';

export const DeploymentRequestSchema = z.lazy(() => z.strictObject({
  service: z.string().min(1, 'the name of a service in the deployer config, e.g. "web"'),
  image: z
    .string()
    .min(1)
    .describe('ECR image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or ...@sha256:DIGEST'),
  startedBy: z.string().min(1).max(256).optional(),
  requestedAt: z.iso.datetime({ offset: true, error: 'an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z' }).optional(),
  reason: z.string().max(1024).optional(),
}));
export type DeploymentRequest = z.output<typeof DeploymentRequestSchema>;

/** The execution context ValidateInput receives next to the input (`$$.Execution`). */
export const ExecutionContextSchema = z.lazy(() => z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  startTime: z.string().min(1),
}));
export type ExecutionContext = z.output<typeof ExecutionContextSchema>;

export const StepSchema = z.lazy(() => z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('weight'), weight: z.number().int().min(1).max(100), bakeSeconds: z.number().int().min(0) }),
  z.object({ kind: z.literal('approval'), timeoutSeconds: z.number().int().min(1).optional() }),
]));

/** An ECS service and, when it is behind the ALB, its target group. */
const EcsSideSchema = z.lazy(() => z.object({ service: z.string(), targetGroupArn: z.string().optional() }));

/** Where an ECS deployment acts. Which roles are set depends on the strategy. */
export const EcsTargetSchema = z.lazy(() => z.object({
  cluster: z.string(),
  container: z.string(),
  /** Rolling and canary: the (primary) service. */
  primary: EcsSideSchema.optional(),
  /** Canary: the canary service; `owned` when the team owns it (never created or deleted by the deployer). */
  canary: EcsSideSchema.unwrap().extend({ owned: z.boolean() }).optional(),
  /** Blue-green: both colours. */
  blue: EcsSideSchema.optional(),
  green: EcsSideSchema.optional(),
}));
export type EcsTarget = z.output<typeof EcsTargetSchema>;

/** Thresholds of the new-vs-old comparison (canary, blue-green). */
export const ComparisonSchema = z.lazy(() => z.object({
  maxErrorRateIncrease: z.number(),
  maxLatencyRatio: z.number(),
  minRequests: z.number().int(),
  maxExtraBakeSeconds: z.number().int(),
}));

/** How new code is verified wherever it serves. */
export const VerificationSettingsSchema = z.lazy(() => z.object({
  alarms: z.array(z.string()),
  preexistingAlarms: z.enum(['report', 'block']),
  healthCheck: HealthCheckSchema.optional(),
  /** Blue-green: the idle colour through the test listener, before traffic moves. */
  testUrl: z.string().optional(),
  intervalSeconds: z.number().int().min(1),
  comparison: ComparisonSchema.optional(),
}));
export type VerificationSettings = z.output<typeof VerificationSettingsSchema>;

export const DeploymentSchema = z.lazy(() => z.object({
  service: z.string(),
  kind: z.literal('ecs'),
  strategy: z.enum(STRATEGIES),
  repository: z.string(),
  /** The image pinned by digest. */
  image: z.string(),
  /** The tag it was pushed or asked for with, when there was one. */
  imageTag: z.string().optional(),
  /** True when that tag does not match the service's tagPattern: started by hand, on purpose (history and status say so). */
  outsideTagPattern: z.boolean().optional(),
  startedBy: z.string(),
  reason: z.string().optional(),
  /** When the deployment was asked for: orders waiting deployments (newest wins). */
  requestedAt: z.string(),
  executionId: z.string(),
  executionName: z.string(),
  executionStartTime: z.string(),
  ecs: EcsTargetSchema,
  loadBalancer: z.object({ listenerArn: z.string(), testListenerArn: z.string().optional() }).optional(),
  /** Canary and blue-green: the traffic steps (empty for rolling). */
  steps: z.array(StepSchema),
  verification: VerificationSettingsSchema,
  /** Rolling: how long the new revision is verified after the rollout. */
  bakeSeconds: z.number().int().min(0),
  /** How long one ECS rollout (or scaling) may take. */
  deploymentTimeoutSeconds: z.number().int().min(1),
  /** Blue-green: how long the old colour stays warm after the switch. */
  keepWarmSeconds: z.number().int().min(0),
  approvalTimeoutSeconds: z.number().int().min(1),
  /** The roles (`path/name`) the service's task definitions may use, when its config lists them. */
  taskRoles: z.array(z.string()).optional(),
}));
export type Deployment = z.output<typeof DeploymentSchema>;

/** The part of a deployment that comes from the service's config. */
export type ServiceSettings = Pick<
  Deployment,
  | 'service'
  | 'kind'
  | 'strategy'
  | 'repository'
  | 'ecs'
  | 'loadBalancer'
  | 'steps'
  | 'verification'
  | 'bakeSeconds'
  | 'deploymentTimeoutSeconds'
  | 'keepWarmSeconds'
  | 'approvalTimeoutSeconds'
  | 'taskRoles'
>;

function clusterName(cluster: string): string {
  return cluster.slice(cluster.lastIndexOf('/') + 1);
}

/** What a deployment of `svc` carries from the config (the state machine reads it from `$.deployment`). */
export function serviceSettings(svc: EcsServiceConfig): ServiceSettings {
  const verification: VerificationSettings = {
    alarms: svc.alarms,
    preexistingAlarms: svc.verification.preexistingAlarms,
    intervalSeconds: svc.verifyIntervalSeconds,
  };
  if (svc.healthCheck !== undefined) {
    const { testUrl, ...check } = { testUrl: undefined, ...svc.healthCheck };
    verification.healthCheck = check;
    if (testUrl !== undefined) verification.testUrl = testUrl;
  }
  const common = {
    service: svc.name,
    kind: 'ecs' as const,
    strategy: svc.strategy,
    repository: svc.repository,
    verification,
    deploymentTimeoutSeconds: svc.deploymentTimeoutSeconds,
    ...(svc.taskRoles === undefined ? {} : { taskRoles: svc.taskRoles }),
  };
  const ecs: EcsTarget = { cluster: clusterName(svc.cluster), container: svc.container };
  switch (svc.strategy) {
    case 'rolling':
      return {
        ...common,
        ecs: { ...ecs, primary: { service: svc.service } },
        steps: [],
        bakeSeconds: svc.bakeSeconds,
        keepWarmSeconds: 0,
        approvalTimeoutSeconds: 1,
      };
    case 'canary': {
      const { maxExtraBake, preexistingAlarms: _p, ...thresholds } = svc.verification;
      return {
        ...common,
        verification: { ...verification, comparison: { ...thresholds, maxExtraBakeSeconds: maxExtraBake } },
        ecs: {
          ...ecs,
          primary: { service: svc.service, targetGroupArn: svc.loadBalancer.targetGroup },
          canary: {
            service: svc.canaryService ?? `${svc.service}-canary`,
            targetGroupArn: svc.loadBalancer.canaryTargetGroup,
            owned: svc.canaryService !== undefined,
          },
        },
        loadBalancer: { listenerArn: svc.loadBalancer.listener },
        steps: svc.steps,
        bakeSeconds: 0,
        keepWarmSeconds: 0,
        approvalTimeoutSeconds: svc.approvalTimeout,
      };
    }
    case 'blue-green': {
      const { maxExtraBake, preexistingAlarms: _p, ...thresholds } = svc.verification;
      const loadBalancer: NonNullable<Deployment['loadBalancer']> = { listenerArn: svc.loadBalancer.listener };
      if (svc.loadBalancer.testListener !== undefined) loadBalancer.testListenerArn = svc.loadBalancer.testListener;
      return {
        ...common,
        verification: { ...verification, comparison: { ...thresholds, maxExtraBakeSeconds: maxExtraBake } },
        ecs: {
          ...ecs,
          blue: { service: svc.blue.service, targetGroupArn: svc.blue.targetGroup },
          green: { service: svc.green.service, targetGroupArn: svc.green.targetGroup },
        },
        loadBalancer,
        steps: svc.steps,
        bakeSeconds: 0,
        keepWarmSeconds: svc.keepWarm,
        approvalTimeoutSeconds: svc.approvalTimeout,
      };
    }
  }
}

/** One ECS service as it was before the deployment. */
export const ServiceStateSchema = z.lazy(() => z.object({
  service: z.string(),
  /** False when the service did not exist (a canary the deployer creates). */
  exists: z.boolean(),
  taskDefinitionArn: z.string().optional(),
  image: z.string().optional(),
  desiredCount: z.number().int(),
  /** Kept so UpdateService can turn the circuit breaker on without resetting them. */
  maximumPercent: z.number().int().optional(),
  minimumHealthyPercent: z.number().int().optional(),
  /** The service's own circuit breaker setting: a deployment turns it on, a restore puts it back. */
  circuitBreaker: z.object({ enable: z.boolean(), rollback: z.boolean() }).optional(),
  /** The service's own deployment alarms (ECS), kept as they are. */
  deploymentAlarms: z.object({ alarmNames: z.array(z.string()), enable: z.boolean(), rollback: z.boolean() }).optional(),
  targetGroupArn: z.string().optional(),
  /** Blue-green: which colour this side is. */
  colour: z.enum(['blue', 'green']).optional(),
}));
export type ServiceState = z.output<typeof ServiceStateSchema>;

/** Forward weights of a listener or rule: `{targetGroupArn: weight}`. */
export const WeightsSchema = z.lazy(() => z.record(z.string(), z.number().int().min(0).max(999)));
export type Weights = z.output<typeof WeightsSchema>;

/**
 * What the deployment may change, before it changes anything (`$.snapshot`).
 * Roles: `primary` (rolling, canary), `canary`, and for blue-green `live`
 * (the colour serving now) and `idle`.
 */
export const SnapshotSchema = z.lazy(() => z.object({
  services: z.object({
    primary: ServiceStateSchema.optional(),
    canary: ServiceStateSchema.optional(),
    live: ServiceStateSchema.optional(),
    idle: ServiceStateSchema.optional(),
  }),
  /** Every listener or rule the deployment may reweight: `{arn: {targetGroupArn: weight}}`. */
  listeners: z.record(z.string(), WeightsSchema),
}));
export type Snapshot = z.output<typeof SnapshotSchema>;

/** A failure caught by the state machine (`$.failure`, `$.rollbackFailure`). */
export const CaughtErrorSchema = z.lazy(() => z.object({ Error: z.string(), Cause: z.string().optional() }));
export type CaughtError = z.output<typeof CaughtErrorSchema>;

/** History key: one item per execution, sorted by start time within a service. */
export function historySortKey(executionStartTime: string, executionName: string): string {
  return `DEPLOY#${executionStartTime}#${executionName}`;
}

/** Partition key shared by a service's lock and history. */
export function servicePartitionKey(service: string): string {
  return `SERVICE#${service}`;
}

export const LOCK_SORT_KEY = 'LOCK';

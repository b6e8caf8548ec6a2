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
 * and these modules hold hundreds). Only the two field sets other schemas
 * extend (an ECS side, the verification settings) are built at import.
 * Like all of lambdas/, this uses `zod/mini`: classic zod cannot be
 * tree-shaken and its module alone adds 10-17 ms to a cold start.
 */
import * as z from 'zod/mini';
import type { EcsServiceConfig } from './config.ts';
import { HealthCheckSchema } from './health-check-schema.ts';
import { STRATEGIES } from './strategies.ts';

export const DeploymentRequestSchema = z.lazy(() => z.strictObject({
  service: z.string().check(z.minLength(1, 'the name of a service in the deployer config, e.g. "web"')),
  image: z.string().check(z.minLength(1), z.describe('ECR image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or ...@sha256:DIGEST')),
  startedBy: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  requestedAt: z.optional(z.iso.datetime({ offset: true, error: 'an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z' })),
  reason: z.optional(z.string().check(z.maxLength(1024))),
}));
export type DeploymentRequest = z.output<typeof DeploymentRequestSchema>;

/** The execution context ValidateInput receives next to the input (`$$.Execution`). */
export const ExecutionContextSchema = z.lazy(() => z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  startTime: z.string().check(z.minLength(1)),
}));
export type ExecutionContext = z.output<typeof ExecutionContextSchema>;

export const StepSchema = z.lazy(() => z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('weight'), weight: z.number().check(z.int(), z.gte(1), z.lte(100)), bakeSeconds: z.number().check(z.int(), z.gte(0)) }),
  z.object({ kind: z.literal('approval'), timeoutSeconds: z.optional(z.number().check(z.int(), z.gte(1))) }),
]));

/** An ECS service and, when it is behind the ALB, its target group. */
const ecsSideFields = { service: z.string(), targetGroupArn: z.optional(z.string()) };
const EcsSideSchema = z.lazy(() => z.object(ecsSideFields));

/** Where an ECS deployment acts. Which roles are set depends on the strategy. */
export const EcsTargetSchema = z.lazy(() => z.object({
  cluster: z.string(),
  container: z.string(),
  /** Rolling and canary: the (primary) service. */
  primary: z.optional(EcsSideSchema),
  /** Canary: the canary service; `owned` when the team owns it (never created or deleted by the deployer). */
  canary: z.optional(z.object({ ...ecsSideFields, owned: z.boolean() })),
  /** Blue-green: both colours. */
  blue: z.optional(EcsSideSchema),
  green: z.optional(EcsSideSchema),
}));
export type EcsTarget = z.output<typeof EcsTargetSchema>;

/** Thresholds of the new-vs-old comparison (canary, blue-green). */
export const ComparisonSchema = z.lazy(() => z.object({
  maxErrorRateIncrease: z.number(),
  maxLatencyRatio: z.number(),
  minRequests: z.number().check(z.int()),
  maxExtraBakeSeconds: z.number().check(z.int()),
}));

/** The fields of {@link VerificationSettingsSchema}, for schemas that add their own (a VM deployment's). */
export const verificationSettingsFields = {
  alarms: z.array(z.string()),
  preexistingAlarms: z.enum(['report', 'block']),
  healthCheck: z.optional(HealthCheckSchema),
  /** Blue-green: the idle colour through the test listener, before traffic moves. */
  testUrl: z.optional(z.string()),
  intervalSeconds: z.number().check(z.int(), z.gte(1)),
  comparison: z.optional(ComparisonSchema),
};

/** How new code is verified wherever it serves. */
export const VerificationSettingsSchema = z.lazy(() => z.object(verificationSettingsFields));
export type VerificationSettings = z.output<typeof VerificationSettingsSchema>;

export const DeploymentSchema = z.lazy(() => z.object({
  service: z.string(),
  kind: z.literal('ecs'),
  strategy: z.enum(STRATEGIES),
  repository: z.string(),
  /** The image pinned by digest. */
  image: z.string(),
  /** The tag it was pushed or asked for with, when there was one. */
  imageTag: z.optional(z.string()),
  /** True when that tag does not match the service's tagPattern: started by hand, on purpose (history and status say so). */
  outsideTagPattern: z.optional(z.boolean()),
  startedBy: z.string(),
  reason: z.optional(z.string()),
  /** When the deployment was asked for: orders waiting deployments (newest wins). */
  requestedAt: z.string(),
  executionId: z.string(),
  executionName: z.string(),
  executionStartTime: z.string(),
  ecs: EcsTargetSchema,
  loadBalancer: z.optional(z.object({ listenerArn: z.string(), testListenerArn: z.optional(z.string()) })),
  /** Canary and blue-green: the traffic steps (empty for rolling). */
  steps: z.array(StepSchema),
  verification: VerificationSettingsSchema,
  /** Rolling: how long the new revision is verified after the rollout. */
  bakeSeconds: z.number().check(z.int(), z.gte(0)),
  /** How long one ECS rollout (or scaling) may take. */
  deploymentTimeoutSeconds: z.number().check(z.int(), z.gte(1)),
  /** Blue-green: how long the old colour stays warm after the switch. */
  keepWarmSeconds: z.number().check(z.int(), z.gte(0)),
  approvalTimeoutSeconds: z.number().check(z.int(), z.gte(1)),
  /** The roles (`path/name`) the service's task definitions may use, when its config lists them. */
  taskRoles: z.optional(z.array(z.string())),
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
  taskDefinitionArn: z.optional(z.string()),
  image: z.optional(z.string()),
  desiredCount: z.number().check(z.int()),
  /** Kept so UpdateService can turn the circuit breaker on without resetting them. */
  maximumPercent: z.optional(z.number().check(z.int())),
  minimumHealthyPercent: z.optional(z.number().check(z.int())),
  /** The service's own circuit breaker setting: a deployment turns it on, a restore puts it back. */
  circuitBreaker: z.optional(z.object({ enable: z.boolean(), rollback: z.boolean() })),
  /** The service's own deployment alarms (ECS), kept as they are. */
  deploymentAlarms: z.optional(z.object({ alarmNames: z.array(z.string()), enable: z.boolean(), rollback: z.boolean() })),
  targetGroupArn: z.optional(z.string()),
  /** Blue-green: which colour this side is. */
  colour: z.optional(z.enum(['blue', 'green'])),
}));
export type ServiceState = z.output<typeof ServiceStateSchema>;

/** Forward weights of a listener or rule: `{targetGroupArn: weight}`. */
export const WeightsSchema = z.lazy(() => z.record(z.string(), z.number().check(z.int(), z.gte(0), z.lte(999))));
export type Weights = z.output<typeof WeightsSchema>;

/**
 * What the deployment may change, before it changes anything (`$.snapshot`).
 * Roles: `primary` (rolling, canary), `canary`, and for blue-green `live`
 * (the colour serving now) and `idle`.
 */
export const SnapshotSchema = z.lazy(() => z.object({
  services: z.object({
    primary: z.optional(ServiceStateSchema),
    canary: z.optional(ServiceStateSchema),
    live: z.optional(ServiceStateSchema),
    idle: z.optional(ServiceStateSchema),
  }),
  /** Every listener or rule the deployment may reweight: `{arn: {targetGroupArn: weight}}`. */
  listeners: z.record(z.string(), WeightsSchema),
}));
export type Snapshot = z.output<typeof SnapshotSchema>;

/** A failure caught by the state machine (`$.failure`, `$.rollbackFailure`). */
export const CaughtErrorSchema = z.lazy(() => z.object({ Error: z.string(), Cause: z.optional(z.string()) }));
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

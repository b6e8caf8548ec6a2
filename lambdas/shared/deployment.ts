/**
 * What flows through the state machine.
 *
 * `DeploymentRequest` is the execution input: what the ECR trigger sends and
 * what a person types in the Step Functions console. `Deployment` is the
 * validated, self-contained description that `ValidateInput` puts at
 * `$.deployment`: every later handler reads its settings from there, so an
 * execution keeps the settings it started with even if the config changes.
 */
import * as z from 'zod';
import { HealthCheckSchema, type EcsServiceConfig } from './config.ts';

export const DeploymentRequestSchema = z.strictObject({
  service: z.string().min(1, 'the name of a service in the deployer config, e.g. "web"'),
  image: z
    .string()
    .min(1)
    .describe('ECR image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or ...@sha256:DIGEST'),
  startedBy: z.string().min(1).max(256).optional(),
  requestedAt: z.iso.datetime({ offset: true, error: 'an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z' }).optional(),
  reason: z.string().max(1024).optional(),
});
export type DeploymentRequest = z.output<typeof DeploymentRequestSchema>;

/** The execution context ValidateInput receives next to the input (`$$.Execution`). */
export const ExecutionContextSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  startTime: z.string().min(1),
});
export type ExecutionContext = z.output<typeof ExecutionContextSchema>;

export const DeploymentSchema = z.object({
  service: z.string(),
  strategy: z.literal('rolling'),
  cluster: z.string(),
  ecsService: z.string(),
  container: z.string(),
  repository: z.string(),
  /** The image pinned by digest. */
  image: z.string(),
  /** The tag it was pushed or asked for with, when there was one. */
  imageTag: z.string().optional(),
  startedBy: z.string(),
  reason: z.string().optional(),
  /** When the deployment was asked for: orders waiting deployments (newest wins). */
  requestedAt: z.string(),
  executionId: z.string(),
  executionName: z.string(),
  executionStartTime: z.string(),
  alarms: z.array(z.string()),
  healthCheck: HealthCheckSchema.optional(),
  bakeSeconds: z.number().int().min(0),
  verifyIntervalSeconds: z.number().int().min(1),
  deploymentTimeoutSeconds: z.number().int().min(1),
});
export type Deployment = z.output<typeof DeploymentSchema>;

/** The part of a deployment that comes from the service's config. */
export type ServiceSettings = Pick<
  Deployment,
  | 'service'
  | 'strategy'
  | 'cluster'
  | 'ecsService'
  | 'container'
  | 'repository'
  | 'alarms'
  | 'healthCheck'
  | 'bakeSeconds'
  | 'verifyIntervalSeconds'
  | 'deploymentTimeoutSeconds'
>;

/** What a deployment of `svc` carries from the config (the state machine reads it from `$.deployment`). */
export function serviceSettings(svc: EcsServiceConfig): ServiceSettings {
  const settings: ServiceSettings = {
    service: svc.name,
    strategy: svc.strategy,
    cluster: svc.cluster,
    ecsService: svc.service,
    container: svc.container,
    repository: svc.repository,
    alarms: svc.alarms,
    bakeSeconds: svc.bakeSeconds,
    verifyIntervalSeconds: svc.verifyIntervalSeconds,
    deploymentTimeoutSeconds: svc.deploymentTimeoutSeconds,
  };
  if (svc.healthCheck !== undefined) settings.healthCheck = svc.healthCheck;
  return settings;
}

/** The service as it was before the deployment (`$.current`). */
export const ServiceStateSchema = z.object({
  taskDefinitionArn: z.string(),
  image: z.string(),
  desiredCount: z.number().int(),
  /** Kept so UpdateService can turn the circuit breaker on without resetting them. */
  maximumPercent: z.number().int().optional(),
  minimumHealthyPercent: z.number().int().optional(),
});
export type ServiceState = z.output<typeof ServiceStateSchema>;

/** A failure caught by the state machine (`$.failure`, `$.rollbackFailure`). */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
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

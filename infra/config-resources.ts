/**
 * The AWS resources the config names, as ARNs in the stack's account and
 * region. IAM statements are scoped to exactly these, so a function can
 * touch only the services, repositories and alarms the config lists.
 * Cross-account registries and clusters are not supported yet.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { ConfigError, type DeployerConfig } from '../lambdas/shared/config.ts';

const CLUSTER_ARN = /^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\/([^/]+)$/;

/**
 * Name of a cluster given either as a name or as a cluster ARN (only the
 * name is kept: the ARN is rebuilt in the stack's account and region).
 */
export function clusterName(cluster: string): string {
  if (!cluster.startsWith('arn:')) return cluster;
  const match = CLUSTER_ARN.exec(cluster);
  if (match?.[1] === undefined) {
    throw new Error(`'${cluster}' is not an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)`);
  }
  return match[1];
}

function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Distinct ECR repository names of the configured services. */
export function configuredRepositories(config: DeployerConfig): string[] {
  return distinct(config.ecs.map((svc) => svc.repository));
}

/** Distinct CloudWatch alarm names of the configured services. */
export function configuredAlarmNames(config: DeployerConfig): string[] {
  return distinct(config.ecs.flatMap((svc) => svc.alarms));
}

/**
 * Throw a `ConfigError` naming the field when the config cannot be turned
 * into ARNs (a malformed cluster ARN). Called before anything is built, so
 * synth fails at once instead of after bundling the functions.
 */
export function checkConfigResources(config: DeployerConfig): void {
  serviceResourceNames(config);
}

/** `<cluster name>/<service>` of each configured service, without duplicates. */
function serviceResourceNames(config: DeployerConfig): string[] {
  return distinct(
    config.ecs.map((svc, index) => {
      try {
        return `${clusterName(svc.cluster)}/${svc.service}`;
      } catch (error) {
        throw new ConfigError('config', [`ecs[${index}].cluster: ${(error as Error).message}`]);
      }
    }),
  );
}

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>` of each configured service. */
export function ecsServiceArns(stack: Stack, config: DeployerConfig): string[] {
  // Deduplicate the names, not the ARNs: each formatArn() is a distinct token.
  const names = serviceResourceNames(config);
  return names.map((resourceName) => stack.formatArn({ service: 'ecs', resource: 'service', resourceName }));
}

/** `arn:aws:ecr:<region>:<account>:repository/<name>` of each configured repository. */
export function ecrRepositoryArns(stack: Stack, config: DeployerConfig): string[] {
  return configuredRepositories(config).map((name) =>
    stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: name }),
  );
}

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` of each configured alarm. */
export function alarmArns(stack: Stack, config: DeployerConfig): string[] {
  return configuredAlarmNames(config).map((name) =>
    stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );
}

/** The default event bus of the stack's account and region (lifecycle events go there). */
export function defaultEventBusArn(stack: Stack): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
}

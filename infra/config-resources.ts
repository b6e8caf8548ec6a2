/**
 * The AWS resources the config names, as ARNs in the stack's account and
 * region (an ECR repository in the registry a service names, when it names
 * one). IAM statements are scoped to exactly these, so a function can touch
 * only the services, repositories, listeners and alarms the config lists.
 * Clusters of another account are not supported.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { LISTENER_RULE_ARN, type DeployerConfig, type EcsServiceConfig } from '../lambdas/shared/config.ts';
import { serviceSettings } from '../lambdas/shared/deployment.ts';
import { targetBlocks, vmLoadBalancerOf, vmServicesOf } from '../lambdas/vm/vm-services.ts';

/** Name of a cluster given either as a name or as a cluster ARN (the ARN is rebuilt in the stack's account and region). */
export function clusterName(cluster: string): string {
  return cluster.slice(cluster.lastIndexOf('/') + 1);
}

function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Distinct ECR repository names of the configured services. */
export function configuredRepositories(config: DeployerConfig): string[] {
  return distinct(config.ecs.map((svc) => svc.repository));
}

/** Distinct CloudWatch alarm names of the configured services (ECS and VM). */
export function configuredAlarmNames(config: DeployerConfig): string[] {
  return distinct([...config.ecs.flatMap((svc) => svc.alarms), ...vmServicesOf(config).flatMap((svc) => svc.alarms)]);
}

/** Which ECS services of a config entry a grant covers. */
export type ServiceRole = 'all' | 'created-canaries';

/** `<cluster>/<service>` of the ECS services of one entry. */
function serviceNamesOf(svc: EcsServiceConfig, role: ServiceRole): string[] {
  const { ecs } = serviceSettings(svc);
  const names: string[] = [];
  if (role === 'created-canaries') {
    if (ecs.canary !== undefined && !ecs.canary.owned) names.push(ecs.canary.service);
  } else {
    for (const side of [ecs.primary, ecs.canary, ecs.blue, ecs.green]) if (side !== undefined) names.push(side.service);
  }
  return names.map((name) => `${ecs.cluster}/${name}`);
}

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>` of the configured services (or only the canaries the deployer creates). */
export function ecsServiceArns(stack: Stack, config: DeployerConfig, role: ServiceRole = 'all'): string[] {
  // Deduplicate the names, not the ARNs: each formatArn() is a distinct token.
  const names = distinct(config.ecs.flatMap((svc) => serviceNamesOf(svc, role)));
  return names.map((resourceName) => stack.formatArn({ service: 'ecs', resource: 'service', resourceName }));
}

/**
 * `arn:aws:ecr:<region>:<account>:repository/<name>` of each configured
 * repository: in the stack's account and region, or in the registry the
 * service names (`registry: { accountId, region }`).
 */
export function ecrRepositoryArns(stack: Stack, config: DeployerConfig): string[] {
  const repositories = distinct(
    config.ecs.map((svc) => JSON.stringify([svc.registry?.accountId ?? '', svc.registry?.region ?? '', svc.repository])),
  ).map((key) => JSON.parse(key) as [string, string, string]);
  return repositories.map(([account, region, name]) =>
    stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: name, ...(account === '' ? {} : { account, region }) }),
  );
}

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` of each configured alarm. */
export function alarmArns(stack: Stack, config: DeployerConfig): string[] {
  return configuredAlarmNames(config).map((name) =>
    stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );
}

/** The listener and listener-rule ARNs the deployer may reweight (as written in the config). */
export function listenerArns(config: DeployerConfig): { listeners: string[]; rules: string[] } {
  const arns = distinct([
    ...config.ecs.flatMap((svc) => {
      const lb = serviceSettings(svc).loadBalancer;
      return lb === undefined ? [] : [lb.listenerArn, ...(lb.testListenerArn !== undefined ? [lb.testListenerArn] : [])];
    }),
    ...vmServicesOf(config).flatMap((svc) => {
      const lb = vmLoadBalancerOf(svc);
      return lb === undefined ? [] : [lb.listener, ...(lb.testListener !== undefined ? [lb.testListener] : [])];
    }),
  ]);
  return { listeners: arns.filter((a) => !LISTENER_RULE_ARN.test(a)), rules: arns.filter((a) => LISTENER_RULE_ARN.test(a)) };
}

/**
 * `arn:aws:s3:::<bucket>/<prefix>*` of each VM service's artifacts: the
 * artifacts and the `KEY.sha256` objects beside them.
 */
export function artifactObjectArns(stack: Stack, config: DeployerConfig): string[] {
  const objects = distinct(config.vm.map((svc) => `${svc.artifacts.bucket}/${svc.artifacts.prefix}*`));
  return objects.map((object) => `arn:${stack.partition}:s3:::${object}`);
}

/** The default event bus of the stack's account and region (lifecycle events go there). */
export function defaultEventBusArn(stack: Stack): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
}

/** What the VM services of a config involve: the stack grants the VM functions exactly these. */
export interface VmResources {
  /** Any VM service at all. */
  readonly any: boolean;
  /** Some hosts are reached by SSM (EC2 tags or instance IDs). */
  readonly ssm: boolean;
  /** Some hosts are reached over SSH. */
  readonly ssh: boolean;
  /** `<bucket>/<prefix>*` of each service's artifacts (presigned GETs are signed by the functions' roles; ARNs: artifactObjectArns). */
  readonly artifactObjects: string[];
  /** Distinct artifact buckets (the upload rule listens to them). */
  readonly buckets: string[];
  /** The target groups hosts are registered in. */
  readonly targetGroups: string[];
  /** Secrets Manager secrets (names or ARNs, as written) holding SSH private keys. */
  readonly sshSecrets: string[];
  /** Where the SSH functions run: every VM service's ssh block, together (one VPC). */
  readonly sshNetwork?: { subnetIds: string[]; securityGroupIds: string[] };
}

/** The resources of the config's VM services. */
export function vmResources(config: DeployerConfig): VmResources {
  const services = vmServicesOf(config);
  const blocks = services.flatMap(targetBlocks);
  const sshServices = services.filter((svc) => targetBlocks(svc).some((t) => t.hosts !== undefined));
  const subnetIds = distinct(sshServices.flatMap((svc) => svc.ssh?.subnetIds ?? []));
  const securityGroupIds = distinct(sshServices.flatMap((svc) => svc.ssh?.securityGroupIds ?? []));
  return {
    any: services.length > 0,
    ssm: blocks.some((t) => t.ec2Tags !== undefined || t.instanceIds !== undefined),
    ssh: sshServices.length > 0,
    artifactObjects: distinct(services.map((svc) => `${svc.artifacts.bucket}/${svc.artifacts.prefix}*`)),
    buckets: distinct(services.map((svc) => svc.artifacts.bucket)),
    targetGroups: distinct(blocks.flatMap((t) => (t.targetGroup === undefined ? [] : [t.targetGroup]))),
    sshSecrets: distinct([
      ...sshServices.flatMap((svc) => (svc.ssh?.privateKeySecret === undefined ? [] : [svc.ssh.privateKeySecret])),
      ...blocks.flatMap((t) => (t.hosts ?? []).flatMap((h) => (h.privateKeySecret === undefined ? [] : [h.privateKeySecret]))),
    ]),
    ...(subnetIds.length > 0 ? { sshNetwork: { subnetIds, securityGroupIds } } : {}),
  };
}

/** The ARN IAM matches for a secret named in the config (a name gets Secrets Manager's 6-character suffix). */
export function secretArn(stack: Stack, secret: string): string {
  if (secret.startsWith('arn:')) return secret;
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${secret}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

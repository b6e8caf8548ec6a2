/**
 * ECS calls the simulator tests repeat: register a revision with another
 * image, point a service at it, read its deployments and its targets.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment,
  type Service,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** An ECS client (answered by the installed world). */
export const ecs = new ECSClient({ region: 'us-east-1' });
/** An ELBv2 client (answered by the installed world). */
export const elb = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });

/** Register the next revision of `family`: its latest one with `container`'s image replaced. Returns its ARN. */
export async function registerRevision(family: string, image: string, container = 'app'): Promise<string> {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      taskRoleArn: taskDefinition?.taskRoleArn,
      executionRoleArn: taskDefinition?.executionRoleArn,
      networkMode: taskDefinition?.networkMode,
      requiresCompatibilities: taskDefinition?.requiresCompatibilities,
      cpu: taskDefinition?.cpu,
      memory: taskDefinition?.memory,
      containerDefinitions: (taskDefinition?.containerDefinitions ?? []).map((c) => (c.name === container ? { ...c, image } : c)),
    }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

/** UpdateService on cluster prod. */
export async function updateService(service: string, input: Omit<UpdateServiceCommandInput, 'cluster' | 'service'>): Promise<Service | undefined> {
  return (await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service, ...input }))).service;
}

/** DescribeServices of one service of cluster prod. */
export async function describe(service: string): Promise<Service | undefined> {
  return (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }))).services?.[0];
}

/** The deployments of one service of cluster prod, PRIMARY first. */
export async function deployments(service: string): Promise<Deployment[]> {
  return (await describe(service))?.deployments ?? [];
}

/** `[status, rolloutState, runningCount, pendingCount]` of each deployment, for compact assertions. */
export async function deploymentStates(service: string): Promise<Array<[string?, string?, number?, number?]>> {
  return (await deployments(service)).map((d) => [d.status, d.rolloutState, d.runningCount, d.pendingCount]);
}

/** The targets of a target group with their state. */
export async function targetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]> {
  return (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
}

/** How many targets of a target group are in each state, e.g. `{healthy: 4, draining: 2}`. */
export async function targetStates(targetGroupArn: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const target of await targetHealth(targetGroupArn)) {
    const state = target.TargetHealth?.State ?? 'unknown';
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

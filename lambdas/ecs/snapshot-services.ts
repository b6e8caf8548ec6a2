/**
 * SnapshotServices: what the ECS services of a deployment run before
 * anything changes, by role: `primary` (rolling, canary), `canary` (which
 * may not exist yet), and for blue-green `live` and `idle`, decided from the
 * listener's weights read just before. Every rollback, and the watcher's
 * restore after a stop, returns to this.
 *
 * It refuses, before anything changes, a service the deployer cannot drive:
 * one deployed by CodeDeploy or an external controller, one behind a
 * Classic Load Balancer, one not registered in the configured target group,
 * or one already in the middle of a rollout it did not start.
 */
import { DescribeTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import {
  DeploymentSchema,
  WeightsSchema,
  type Deployment,
  type ServiceState,
  type Snapshot,
} from '../shared/deployment.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { shortTaskDefinition } from '../shared/task-definition-name.ts';
import { describeServices, ecs, runningTaskDefinition } from './ecs-client.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  /** ReadWeights' result (canary, blue-green). */
  weights: z.optional(z.object({
      listeners: z.record(z.string(), WeightsSchema),
      sides: z.optional(z.object({ live: z.enum(['blue', 'green']), idle: z.enum(['blue', 'green']) })),
    })),
});

/** A role of the snapshot and the service it is. */
interface Role {
  role: keyof Snapshot['services'];
  service: string;
  targetGroupArn?: string;
  colour?: 'blue' | 'green';
  /** The service may not exist yet (a canary the deployer creates). */
  mayBeAbsent: boolean;
  /** The service serves production traffic now: it must be steady. */
  serving: boolean;
}

/** The services a deployment touches, by role. */
export function rolesOf(deployment: Deployment, sides?: { live: 'blue' | 'green'; idle: 'blue' | 'green' }): Role[] {
  const { ecs: target } = deployment;
  const side = (s: { service: string; targetGroupArn?: string } | undefined, what: string) => {
    if (s === undefined) throw new ServiceNotReady(`the deployment names no ${what} service`);
    return s.targetGroupArn === undefined ? { service: s.service } : { service: s.service, targetGroupArn: s.targetGroupArn };
  };
  switch (deployment.strategy) {
    case 'rolling':
      return [{ role: 'primary', ...side(target.primary, 'primary'), mayBeAbsent: false, serving: true }];
    case 'canary':
      return [
        { role: 'primary', ...side(target.primary, 'primary'), mayBeAbsent: false, serving: true },
        { role: 'canary', ...side(target.canary, 'canary'), mayBeAbsent: target.canary?.owned !== true, serving: false },
      ];
    case 'blue-green': {
      if (sides === undefined) throw new ServiceNotReady('blue-green needs the live colour, read from the listener weights');
      return [
        { role: 'live', ...side(target[sides.live], sides.live), colour: sides.live, mayBeAbsent: false, serving: true },
        { role: 'idle', ...side(target[sides.idle], sides.idle), colour: sides.idle, mayBeAbsent: false, serving: false },
      ];
    }
  }
}

/** Why the deployer cannot drive this service, if it cannot. */
export function refusal(where: string, service: Service, role: Role): string | undefined {
  if (service.status !== undefined && service.status !== 'ACTIVE') {
    return `ECS service ${where} is ${service.status}, not ACTIVE${service.status === "DRAINING" ? " (it is being deleted)" : ""}; wait until it is gone or active again, then deploy`;
  }
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS') {
    return `ECS service ${where} uses the ${controller} deployment controller: its deployments belong to ${controller === 'CODE_DEPLOY' ? 'CodeDeploy' : 'an external controller'}, and the deployer only drives services with the ECS controller`;
  }
  const native = service.deploymentConfiguration?.strategy;
  if (native !== undefined && native !== 'ROLLING') {
    return `ECS service ${where} uses ECS's own ${native} deployment strategy, which moves the load balancer's traffic itself: set its deploymentConfiguration.strategy to ROLLING so the deployer alone drives it`;
  }
  const classic = service.loadBalancers?.find((lb) => lb.loadBalancerName !== undefined);
  if (classic !== undefined) {
    return `ECS service ${where} is behind the Classic Load Balancer ${classic.loadBalancerName ?? ''}: the deployer needs an Application Load Balancer target group`;
  }
  if (role.targetGroupArn !== undefined && !(service.loadBalancers ?? []).some((lb) => lb.targetGroupArn === role.targetGroupArn)) {
    const registered = (service.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter(Boolean).join(', ') || 'none';
    return `ECS service ${where} is not registered in the configured target group ${role.targetGroupArn} (its target groups: ${registered}); fix the config or the service`;
  }
  const busy = (service.deployments ?? []).filter((d) => d.status !== 'INACTIVE' && d.rolloutState !== 'COMPLETED');
  if (role.serving && (busy.length > 0 || (service.deployments?.length ?? 0) > 1)) {
    return `ECS service ${where} already has a rollout in progress (${shortTaskDefinition(runningTaskDefinition(service) ?? '?')}); wait for it to finish, then deploy again`;
  }
  return undefined;
}

async function imageOf(taskDefinitionArn: string, container: string): Promise<string> {
  const described = await awsCall('ecs:DescribeTaskDefinition', () =>
    ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
  );
  const containers = described.taskDefinition?.containerDefinitions ?? [];
  const image = containers.find((c) => c.name === container)?.image;
  if (image === undefined) {
    throw new ServiceNotReady(
      `container '${container}' is not in task definition ${shortTaskDefinition(taskDefinitionArn)} (containers: ${containers.map((c) => c.name).join(', ')}); fix 'container' in the config`,
    );
  }
  return image;
}

async function stateOf(deployment: Deployment, role: Role, service: Service | undefined): Promise<ServiceState> {
  const { cluster, container } = deployment.ecs;
  const where = `${cluster}/${role.service}`;
  const base: ServiceState = { service: role.service, exists: false, desiredCount: 0 };
  if (role.targetGroupArn !== undefined) base.targetGroupArn = role.targetGroupArn;
  if (role.colour !== undefined) base.colour = role.colour;
  if (service === undefined) {
    if (role.mayBeAbsent) return base;
    throw new ServiceNotReady(`ECS service ${where} was not found; check cluster and service names in the config`);
  }
  const why = refusal(where, service, role);
  if (why !== undefined) throw new ServiceNotReady(why);
  const taskDefinitionArn = runningTaskDefinition(service);
  if (taskDefinitionArn === undefined) throw new ServiceNotReady(`ECS service ${where} has no task definition`);
  const state: ServiceState = {
    ...base,
    exists: true,
    taskDefinitionArn,
    image: await imageOf(taskDefinitionArn, container),
    desiredCount: service.desiredCount ?? 0,
  };
  const dc = service.deploymentConfiguration;
  if (dc?.maximumPercent !== undefined) state.maximumPercent = dc.maximumPercent;
  if (dc?.minimumHealthyPercent !== undefined) state.minimumHealthyPercent = dc.minimumHealthyPercent;
  const breaker = dc?.deploymentCircuitBreaker;
  if (breaker !== undefined) state.circuitBreaker = { enable: breaker.enable ?? false, rollback: breaker.rollback ?? false };
  const alarms = dc?.alarms;
  if (alarms !== undefined) state.deploymentAlarms = { alarmNames: alarms.alarmNames ?? [], enable: alarms.enable ?? false, rollback: alarms.rollback ?? false };
  return state;
}

export const handler = createHandler(EventSchema, async function snapshot({ deployment, weights }): Promise<Snapshot> {
  const roles = rolesOf(deployment, weights?.sides);
  const found = await describeServices(
    deployment.ecs.cluster,
    roles.map((r) => r.service),
  );
  const services: Snapshot['services'] = {};
  for (const role of roles) services[role.role] = await stateOf(deployment, role, found.get(role.service));
  return { services, listeners: weights?.listeners ?? {} };
});

/** The ECS client and the reads every ECS handler shares. */
import { DescribeServicesCommand, ECSClient, type Deployment as EcsDeployment, type Service } from '@aws-sdk/client-ecs';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { ServiceNotReady } from '../shared/errors.ts';

export const ecs = lazyClient(() => new ECSClient({}));

/** Describe services of one cluster (at most 10); absent or INACTIVE ones are left out. */
export async function describeServices(cluster: string, services: string[]): Promise<Map<string, Service>> {
  const result = await awsCall('ecs:DescribeServices', () =>
    ecs().send(new DescribeServicesCommand({ cluster, services })),
  );
  const found = new Map<string, Service>();
  for (const service of result.services ?? []) {
    if (service.serviceName !== undefined && service.status !== 'INACTIVE') found.set(service.serviceName, service);
  }
  return found;
}

/** Describe one service, or undefined when it does not exist (or was deleted). */
export async function findService(cluster: string, service: string): Promise<Service | undefined> {
  return (await describeServices(cluster, [service])).get(service);
}

/** Describe one service; a missing or inactive service is a `ServiceNotReady`. */
export async function describeService(cluster: string, service: string): Promise<Service> {
  const found = await findService(cluster, service);
  if (found === undefined) {
    throw new ServiceNotReady(`ECS service ${cluster}/${service} was not found; check cluster and service in the config`);
  }
  if (found.status !== 'ACTIVE') {
    throw new ServiceNotReady(`ECS service ${cluster}/${service} is ${found.status ?? 'in an unknown state'}, not ACTIVE`);
  }
  return found;
}

/** The PRIMARY deployment of a service. */
export function primaryDeployment(service: Service): EcsDeployment | undefined {
  return service.deployments?.find((d) => d.status === 'PRIMARY');
}

/** The task definition a service runs (its PRIMARY deployment's). */
export function runningTaskDefinition(service: Service): string | undefined {
  return primaryDeployment(service)?.taskDefinition ?? service.taskDefinition;
}

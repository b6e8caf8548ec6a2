/** ECS reads shared by the handlers that look at a service. */
import { DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { awsCall } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { ServiceNotReady } from './errors.ts';

export const ecs = lazyClient(() => new ECSClient({}));

/** Describe one service; a missing or inactive service is a `ServiceNotReady`. */
export async function describeService(cluster: string, service: string): Promise<Service> {
  const result = await awsCall('ecs:DescribeServices', () =>
    ecs().send(new DescribeServicesCommand({ cluster, services: [service] })),
  );
  const found = result.services?.[0];
  if (found === undefined) {
    const reason = result.failures?.[0]?.reason ?? 'not found';
    throw new ServiceNotReady(`ECS service ${cluster}/${service} was not found (${reason}); check cluster and service in the config`);
  }
  if (found.status !== 'ACTIVE') {
    throw new ServiceNotReady(`ECS service ${cluster}/${service} is ${found.status ?? 'in an unknown state'}, not ACTIVE`);
  }
  return found;
}

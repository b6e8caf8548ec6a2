/**
 * ResolveHosts (SSM): the instances a deployment acts on — by EC2 tags
 * (running instances carrying every tag) or by instance IDs (EC2 `i-…` or
 * on-premises `mi-…`) — checked Online in SSM before the first batch, cut
 * into batches and written to the ledger. Returns only the numbers.
 */
import { DescribeInstancesCommand, EC2Client, type Filter } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient, type InstanceInformation } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { InvalidInput } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { VmDeploymentSchema, type VmTargets } from '../shared/vm-deployment.ts';
import { recordFleet, type FleetSummary, type FoundHost } from './fleet.ts';
import { targetsOf } from './host-release.ts';

export const ec2 = lazyClient(() => new EC2Client({}));
export const ssm = lazyClient(() => new SSMClient({}));

/** DescribeInstanceInformation takes at most 50 instance IDs per filter. */
const INFO_CHUNK = 50;

const EventSchema = z.object({
  deployment: VmDeploymentSchema,
  group: z.enum(['fleet', 'blue', 'green']),
});

/** Running EC2 instances carrying every tag, with their private IPs. */
async function instancesByTags(tags: Readonly<Record<string, string>>): Promise<Map<string, string | undefined>> {
  const filters: Filter[] = [
    ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    { Name: 'instance-state-name', Values: ['running'] },
  ];
  const found = new Map<string, string | undefined>();
  let nextToken: string | undefined;
  do {
    const page = await awsCall('ec2:DescribeInstances', () =>
      ec2().send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, ...(nextToken === undefined ? {} : { NextToken: nextToken }) })),
    );
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId !== undefined) found.set(instance.InstanceId, instance.PrivateIpAddress);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return found;
}

/** SSM's view of the instances (ping status, address), by instance ID. */
async function managedInstances(ids: readonly string[]): Promise<Map<string, InstanceInformation>> {
  const out = new Map<string, InstanceInformation>();
  for (let i = 0; i < ids.length; i += INFO_CHUNK) {
    const chunk = ids.slice(i, i + INFO_CHUNK);
    let nextToken: string | undefined;
    do {
      const page = await awsCall('ssm:DescribeInstanceInformation', () =>
        ssm().send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: chunk }],
            MaxResults: 50,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        ),
      );
      for (const info of page.InstanceInformationList ?? []) if (info.InstanceId !== undefined) out.set(info.InstanceId, info);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }
  return out;
}

/** The instances of `targets`, each Online in SSM or with the reason it is not. */
export async function findInstances(targets: VmTargets): Promise<FoundHost[]> {
  let addresses: Map<string, string | undefined>;
  if (targets.ec2Tags !== undefined) addresses = await instancesByTags(targets.ec2Tags);
  else if (targets.instanceIds !== undefined) addresses = new Map(targets.instanceIds.map((id) => [id, undefined]));
  else throw new InvalidInput('targets: SSM targets need ec2Tags or instanceIds');
  const info = await managedInstances([...addresses.keys()]);
  return [...addresses].map(([host, ec2Address]): FoundHost => {
    const managed = info.get(host);
    const address = ec2Address ?? managed?.IPAddress;
    const base = address === undefined ? { host } : { host, address };
    if (managed === undefined) return { ...base, unreachable: 'not managed by SSM (no agent, or no instance profile allowing it)' };
    if (managed.PingStatus !== 'Online') return { ...base, unreachable: `SSM agent ${managed.PingStatus ?? 'status unknown'}` };
    return base;
  });
}

export const handler = createHandler(EventSchema, async function resolveHosts({ deployment, group }): Promise<FleetSummary> {
  const targets = targetsOf(deployment, group);
  if (targets.executor !== 'ssm') throw new InvalidInput(`${group}: its hosts are reached over SSH: ResolveSshHosts resolves them`);
  const summary = await recordFleet(deployment, group, 'ssm', await findInstances(targets));
  logger.info('hosts resolved', { serviceName: deployment.service, ...summary });
  return summary;
});

/**
 * ResolveSshHosts (in the VPC): the SSH hosts of a deployment, each
 * connected to once with its pinned host key before the first batch (a host
 * presenting another key fails the deployment: nothing runs on it), cut into
 * batches and written to the ledger. Returns only the numbers.
 */
import pMap from 'p-map';
import * as z from 'zod/mini';
import { InvalidInput } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { VmDeploymentSchema } from '../shared/vm-deployment.ts';
import { recordFleet, type FleetSummary, type FoundHost } from './fleet.ts';
import { targetsOf } from './host-release.ts';
import { PrivateKeys, SSH_CONCURRENCY, sshOptions } from './ssh-access.ts';
import { connectSsh } from './ssh-run.ts';
import { HostKeyMismatch } from './errors.ts';

const EventSchema = z.object({
  deployment: VmDeploymentSchema,
  group: z.enum(['fleet', 'blue', 'green']),
});

export const handler = createHandler(EventSchema, async function resolveSshHosts({ deployment, group }): Promise<FleetSummary> {
  const targets = targetsOf(deployment, group);
  if (targets.executor !== 'ssh' || targets.hosts === undefined) {
    throw new InvalidInput(`${group}: its hosts are reached by SSM: ResolveHosts resolves them`);
  }
  const keys = new PrivateKeys();
  const options = sshOptions(deployment);
  const found = await pMap(
    targets.hosts,
    async (host): Promise<FoundHost> => {
      try {
        const client = await connectSsh(
          { host: host.address, port: host.port, username: host.user, hostKey: host.hostKey, privateKey: await keys.get(host.privateKeySecret) },
          options,
        );
        client.end();
        return { host: host.name, address: host.address };
      } catch (error) {
        // A host that is not the one pinned is never skipped: it may be someone else's machine.
        if (error instanceof HostKeyMismatch || error instanceof InvalidInput) throw error;
        return { host: host.name, address: host.address, unreachable: (error as Error).message };
      }
    },
    { concurrency: SSH_CONCURRENCY },
  );
  const summary = await recordFleet(deployment, group, 'ssh', found);
  logger.info('hosts resolved', { serviceName: deployment.service, ...summary });
  return summary;
});

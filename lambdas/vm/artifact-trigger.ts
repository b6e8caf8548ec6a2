/**
 * ArtifactTrigger: an S3 upload (EventBridge "Object Created") starts the
 * deployment of every VM service whose bucket, prefix and pattern match the
 * key. `KEY.sha256` uploads (the checksum beside an artifact) start nothing:
 * upload the checksum first, then the artifact. The execution is named after
 * the service and the object's write (its sequencer), so EventBridge
 * delivering the same event twice starts one deployment.
 */
import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import picomatch from 'picomatch';
import * as z from 'zod/mini';
import { ENV } from '../registry.ts';
import { awsCall, errorName } from '../shared/aws-call.ts';
import { loadCatalog } from '../shared/catalog.ts';
import { lazyClient } from '../shared/clients.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { stateMachineOfStrategy } from '../shared/strategy-state-machines.ts';
import type { VmDeploymentRequest } from '../shared/vm-deployment.ts';
import { vmServicesOf, type VmServiceView } from './vm-services.ts';

const sfn = lazyClient(() => new SFNClient({}));

/** The part of an S3 `Object Created` event the trigger relies on. */
export const ObjectCreatedEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({ key: z.string().check(z.minLength(1)), etag: z.optional(z.string()), sequencer: z.optional(z.string()), size: z.optional(z.number()) }),
  }),
});
export type ObjectCreatedEvent = z.output<typeof ObjectCreatedEventSchema>;

export interface ArtifactTriggerResult {
  started: { service: string; executionArn: string }[];
  duplicates: { service: string; executionName: string }[];
  ignored: { service?: string; reason: string }[];
}


/** True when `key` is an artifact of `svc`: under its prefix, the rest matching its pattern. */
export function isArtifactOf(svc: VmServiceView, bucket: string, key: string): boolean {
  if (bucket !== svc.artifacts.bucket || !key.startsWith(svc.artifacts.prefix)) return false;
  // As ValidateInput matches it (lambdas/shared/request-check.ts).
  return picomatch.isMatch(key.slice(svc.artifacts.prefix.length), svc.artifacts.pattern);
}

/** `<service>-<32 hex>`: the same object write always gives the same name (1-80 of [A-Za-z0-9-_]). */
export function artifactExecutionName(service: string, event: ObjectCreatedEvent): string {
  const { bucket, object } = event.detail;
  const write = object.sequencer ?? object.etag ?? event.id;
  return `${service}-${createHash('sha256').update(`${bucket.name}/${object.key}#${write}`).digest('hex').slice(0, 32)}`;
}

export const handler = createHandler(ObjectCreatedEventSchema, async function artifactTrigger(event): Promise<ArtifactTriggerResult> {
  const result: ArtifactTriggerResult = { started: [], duplicates: [], ignored: [] };
  const bucket = event.detail.bucket.name;
  const key = event.detail.object.key;
  if (key.endsWith('.sha256')) {
    result.ignored.push({ reason: `s3://${bucket}/${key} is a checksum, not an artifact` });
    logger.info('ignored S3 upload', { ...result.ignored[0] });
    return result;
  }
  const services = vmServicesOf(await loadCatalog()).filter((svc) => isArtifactOf(svc, bucket, key));
  if (services.length === 0) result.ignored.push({ reason: `s3://${bucket}/${key} is not an artifact of any VM service (bucket, prefix, pattern)` });
  for (const svc of services) {
    const name = artifactExecutionName(svc.name, event);
    const input: VmDeploymentRequest = {
      service: svc.name,
      artifact: `s3://${bucket}/${key}`,
      startedBy: 's3-upload',
      requestedAt: event.time,
      reason: `upload of s3://${bucket}/${key}`,
    };
    const stateMachineArn = stateMachineOfStrategy(ENV.vmStateMachines, svc.strategy);
    const started = await awsCall('states:StartExecution', async () => {
      try {
        return await sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      } catch (error) {
        if (errorName(error) === 'ExecutionAlreadyExists') return undefined;
        throw error;
      }
    });
    if (started?.executionArn === undefined) result.duplicates.push({ service: svc.name, executionName: name });
    else result.started.push({ service: svc.name, executionArn: started.executionArn });
  }
  logger.info('S3 upload handled', { bucket, key, ...result });
  return result;
});

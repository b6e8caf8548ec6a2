/**
 * Trigger: an ECR push starts the deployment of every configured service
 * whose repository and tag pattern match. The image is pinned by digest and
 * the execution is named after service + digest, so EventBridge delivering
 * the same event twice (or the same digest pushed under two matching tags)
 * starts one deployment, not two.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { ENV } from '../registry.ts';
import { awsCall, errorName } from '../shared/aws-call.ts';
import { loadCatalog } from '../shared/catalog.ts';
import { lazyClient } from '../shared/clients.ts';
import type { DeploymentRequest } from '../shared/deployment.ts';
import { createHandler } from '../shared/handler.ts';
import { foreignRegistryProblem, homeRegistry, registryHost } from '../shared/image-registry.ts';
import { logger } from '../shared/logger.ts';
import { stateMachineOfStrategy } from '../shared/strategy-state-machines.ts';
import { matchesTagPattern } from '../shared/tag-pattern.ts';

const sfn = lazyClient(() => new SFNClient({}));

/** The part of an `ECR Image Action` event the trigger relies on. */
export const EcrPushEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  account: z.string().check(z.regex(/^\d{12}$/, 'a 12-digit AWS account id')),
  region: z.string().check(z.minLength(1)),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    'action-type': z.string(),
    result: z.string(),
    'repository-name': z.string().check(z.minLength(1)),
    'image-digest': z.string().check(z.regex(/^sha256:[a-f0-9]{64}$/, 'sha256:<64 hex digits>')),
    'image-tag': z.optional(z.string()),
  }),
});
export type EcrPushEvent = z.output<typeof EcrPushEventSchema>;

export interface TriggerResult {
  started: { service: string; executionArn: string }[];
  duplicates: { service: string; executionName: string }[];
  ignored: { service?: string; reason: string }[];
}


/** Step Functions execution names: 1-80 of [A-Za-z0-9-_]. Service names are at most 40 characters. */
export function executionName(service: string, digest: string): string {
  // Stryker disable next-line Regex: equivalent: EcrPushEventSchema lets only `sha256:<64 hex>` through, so `sha256:` occurs once, at the start.
  return `${service}-${digest.replace(/^sha256:/, '').slice(0, 32)}`;
}

export const handler = createHandler(EcrPushEventSchema, async function trigger(event, context): Promise<TriggerResult> {
  const result: TriggerResult = { started: [], duplicates: [], ignored: [] };
  const { detail } = event;
  const repository = detail['repository-name'];
  const tag = detail['image-tag'];
  if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') {
    result.ignored.push({ reason: `not a successful push (${detail['action-type']} ${detail.result})` });
    logger.info('ignored ECR event', { ...result.ignored[0] });
    return result;
  }
  const services = (await loadCatalog()).ecs.filter((s) => s.repository === repository);
  if (services.length === 0) {
    result.ignored.push({ reason: `repository ${repository} is not configured for any service` });
  }
  // The deployer's own registry is the function's account and region; a push to another
  // registry (an event forwarded from another account or region) deploys only a service that names it.
  const home = homeRegistry(context.invokedFunctionArn);
  const pushedTo = { registryId: event.account, region: event.region };
  for (const svc of services) {
    const foreign = foreignRegistryProblem(svc, pushedTo, home);
    if (foreign !== undefined) {
      result.ignored.push({ service: svc.name, reason: `push of ${repository}:${tag ?? '(untagged)'} ignored: ${foreign}` });
      continue;
    }
    if (tag === undefined || tag === '') {
      result.ignored.push({ service: svc.name, reason: 'untagged push: only tags matching tagPattern deploy' });
      continue;
    }
    if (!matchesTagPattern(tag, svc.tagPattern)) {
      result.ignored.push({ service: svc.name, reason: `tag ${tag} does not match tagPattern ${svc.tagPattern}` });
      continue;
    }
    const name = executionName(svc.name, detail['image-digest']);
    const stateMachineArn = stateMachineOfStrategy(ENV.stateMachines, svc.strategy);
    const input: DeploymentRequest = {
      service: svc.name,
      image: `${registryHost({ accountId: event.account, region: event.region })}/${repository}:${tag}@${detail['image-digest']}`,
      startedBy: 'ecr-push',
      requestedAt: event.time,
      reason: `push of ${repository}:${tag}`,
    };
    try {
      const started = await awsCall('states:StartExecution', async () => {
        try {
          return await sfn().send(
            new StartExecutionCommand({
              stateMachineArn,
              name,
              input: JSON.stringify(input),
            }),
          );
        } catch (error) {
          if (errorName(error) === 'ExecutionAlreadyExists') return undefined;
          throw error;
        }
      });
      if (started?.executionArn === undefined) {
        result.duplicates.push({ service: svc.name, executionName: name });
      } else {
        result.started.push({ service: svc.name, executionArn: started.executionArn });
      }
    } catch (error) {
      logger.error('could not start deployment', { serviceName: svc.name, error: error as Error });
      throw error;
    }
  }
  // `service` is a reserved key of the Powertools logger (it would be dropped): log it as `serviceName`.
  for (const { service, ...entry } of result.ignored) logger.info('ignored', { repository, tag, serviceName: service, ...entry });
  for (const { service, ...entry } of result.duplicates) {
    logger.info('duplicate push: deployment already started', { serviceName: service, ...entry });
  }
  for (const { service, ...entry } of result.started) logger.info('deployment started', { serviceName: service, ...entry });
  return result;
});

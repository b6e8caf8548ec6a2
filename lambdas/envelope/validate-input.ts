/**
 * ValidateInput: the first state of every deployment.
 *
 * Console input and the ECR trigger's input go through the same checks: the
 * service must be in the config, the image must come from the service's
 * repository, in the service's registry (the deployer's own account and
 * region unless the config names another), and exist in ECR there. A tag
 * outside the service's `tagPattern` is allowed (a start by hand is
 * explicit) and marked `outsideTagPattern`. The result is the self-contained
 * `Deployment` the rest of the state machine works from, with the image
 * pinned by digest so every task runs exactly the image that was verified.
 *
 * A VM service's input (`artifact`, an S3 URI, instead of `image`) is checked
 * the same way against its artifacts bucket, prefix and pattern and against
 * S3 (the object exists, its SHA-256 is known), and becomes a `VmDeployment`.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import * as z from 'zod/mini';
import { awsCall, errorName } from '../shared/aws-call.ts';
import { loadCatalog } from '../shared/catalog.ts';
import { findVmService } from '../shared/config-lookup.ts';
import {
  serviceSettings,
  DeploymentRequestSchema,
  ExecutionContextSchema,
  type Deployment,
  type DeploymentRequest,
  type ExecutionContext,
} from '../shared/deployment.ts';
import { InvalidInput } from '../shared/errors.ts';
import { createHandler, parseEvent } from '../shared/handler.ts';
import { lazyClient } from '../shared/clients.ts';
import { pinnedImage, type ImageRef } from '../shared/image.ts';
import { homeRegistry } from '../shared/image-registry.ts';
import { logger } from '../shared/logger.ts';
import { checkRequest, checkVmRequest } from '../shared/request-check.ts';
import { wrongStateMachineProblem } from '../shared/state-machine-check.ts';
import { matchesTagPattern } from '../shared/tag-pattern.ts';
import { VmDeploymentRequestSchema, type VmDeployment, type VmDeploymentRequest } from '../shared/vm-deployment.ts';
import { vmServiceSettings } from '../shared/vm-service-settings.ts';

/** One ECR client per region: an image is looked up in its own registry's region, never the function's by default. */
const ecrClients = new Map<string, () => ECRClient>();
function ecrIn(region: string): ECRClient {
  let client = ecrClients.get(region);
  if (client === undefined) {
    client = lazyClient(() => new ECRClient({ region }));
    ecrClients.set(region, client);
  }
  return client();
}

const EventSchema = z.object({ request: z.unknown(), execution: ExecutionContextSchema });

/** Resolve the image's digest in ECR; a missing tag or digest is the user's mistake, not AWS's. */
async function resolveDigest(ref: ImageRef): Promise<string> {
  const imageId = ref.digest !== undefined ? { imageDigest: ref.digest } : { imageTag: ref.tag };
  const result = await awsCall('ecr:DescribeImages', async () => {
    try {
      return await ecrIn(ref.region).send(
        new DescribeImagesCommand({ registryId: ref.registryId, repositoryName: ref.repository, imageIds: [imageId] }),
      );
    } catch (error) {
      const name = errorName(error);
      if (name === 'ImageNotFoundException') {
        throw new InvalidInput(
          `image: ${ref.digest ?? ref.tag} was not found in ECR repository ${ref.repository}; push it first or fix the ${ref.digest !== undefined ? 'digest' : 'tag'}`,
          { cause: error },
        );
      }
      if (name === 'RepositoryNotFoundException') {
        throw new InvalidInput(`image: ECR repository ${ref.repository} does not exist in account ${ref.registryId} (${ref.region})`, {
          cause: error,
        });
      }
      throw error;
    }
  });
  const digest = result.imageDetails?.[0]?.imageDigest;
  if (digest === undefined) throw new InvalidInput(`image: ECR returned no digest for ${ref.digest ?? ref.tag}`);
  if (ref.digest !== undefined && digest !== ref.digest) {
    throw new InvalidInput(`image: ECR resolved ${ref.digest} to a different digest ${digest}`);
  }
  return digest;
}

/** Check the request against the config and ECR, and build the deployment. */
export async function validateRequest(request: DeploymentRequest, execution: ExecutionContext): Promise<Deployment> {
  const checked = checkRequest(request, await loadCatalog(), homeRegistry(execution.id));
  if (!checked.ok) throw new InvalidInput(`${checked.field}: ${checked.message}`);
  const { service: svc, image: ref } = checked;
  const wrongMachine = wrongStateMachineProblem(execution.id, svc.name, svc.strategy, `ecs-${svc.strategy}`);
  if (wrongMachine !== undefined) throw new InvalidInput(`service: ${wrongMachine}`);
  const digest = await resolveDigest(ref);
  const settings = serviceSettings(svc);
  const deployment: Deployment = {
    ...settings,
    // Every approval step carries its own timeout, so the state machine reads it from the step.
    steps: settings.steps.map((step) =>
      step.kind === 'approval' ? { ...step, timeoutSeconds: step.timeoutSeconds ?? settings.approvalTimeoutSeconds } : step,
    ),
    image: pinnedImage(ref, digest),
    startedBy: request.startedBy ?? 'console',
    // Normalised to UTC with milliseconds: the lock orders requests by comparing these strings.
    requestedAt: new Date(request.requestedAt ?? execution.startTime).toISOString(),
    executionId: execution.id,
    executionName: execution.name,
    executionStartTime: new Date(execution.startTime).toISOString(),
  };
  if (ref.tag !== undefined) {
    deployment.imageTag = ref.tag;
    // A start by hand may deploy any tag (it is explicit); the history says it was outside the pattern.
    if (!matchesTagPattern(ref.tag, svc.tagPattern)) deployment.outsideTagPattern = true;
  }
  if (request.reason !== undefined) deployment.reason = request.reason;
  return deployment;
}

/** Every approval step carries its own timeout, so the state machine reads it from the step. */
function withApprovalTimeouts<T extends { kind: string; timeoutSeconds?: number }>(steps: T[], approvalTimeoutSeconds: number): T[] {
  return steps.map((step) => (step.kind === 'approval' ? { ...step, timeoutSeconds: step.timeoutSeconds ?? approvalTimeoutSeconds } : step));
}

/** Check a VM request against the config and S3, and build the deployment. */
export async function validateVmRequest(request: VmDeploymentRequest, execution: ExecutionContext): Promise<VmDeployment> {
  const checked = checkVmRequest(request, await loadCatalog());
  if (!checked.ok) throw new InvalidInput(`${checked.field}: ${checked.message}`);
  const { service: svc, bucket, key, version } = checked;
  const wrongMachine = wrongStateMachineProblem(execution.id, svc.name, svc.strategy, `vm-${svc.strategy}`);
  if (wrongMachine !== undefined) throw new InvalidInput(`service: ${wrongMachine}`);
  // Loaded on the first VM deployment only: an ECS deployment never loads the S3 client.
  const { artifactChecksum, requireArtifact } = await import('./vm-artifact.ts');
  await requireArtifact(bucket, key);
  const sha256 = request.sha256?.toLowerCase() ?? (await artifactChecksum(bucket, key));
  const settings = vmServiceSettings(svc);
  const deployment: VmDeployment = {
    ...settings,
    steps: withApprovalTimeouts(settings.steps, settings.approvalTimeoutSeconds),
    image: `s3://${bucket}/${key}`,
    imageTag: version,
    artifact: { bucket, key, version, sha256 },
    startedBy: request.startedBy ?? 'console',
    requestedAt: new Date(request.requestedAt ?? execution.startTime).toISOString(),
    executionId: execution.id,
    executionName: execution.name,
    executionStartTime: new Date(execution.startTime).toISOString(),
  };
  if (request.reason !== undefined) deployment.reason = request.reason;
  return deployment;
}

/** The service an input names, when it names one as text (the schema of its kind then checks the rest). */
const NamedServiceSchema = z.looseObject({ service: z.string() });

export const handler = createHandler(EventSchema, async function validateInput({ request, execution }): Promise<Deployment | VmDeployment> {
  const named = NamedServiceSchema.safeParse(request);
  if (named.success && findVmService(await loadCatalog(), named.data.service) !== undefined) {
    const parsed = parseEvent(VmDeploymentRequestSchema, request, 'deployment input');
    const deployment = await validateVmRequest(parsed, execution);
    logger.info('deployment accepted', { serviceName: deployment.service, image: deployment.image, sha256: deployment.artifact.sha256 });
    return deployment;
  }
  const parsed = parseEvent(DeploymentRequestSchema, request, 'deployment input');
  const deployment = await validateRequest(parsed, execution);
  logger.info('deployment accepted', { serviceName: deployment.service, image: deployment.image });
  return deployment;
});

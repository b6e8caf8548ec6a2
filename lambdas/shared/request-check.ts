/**
 * The checks of a deployment request that need only the config: the service
 * is configured, and the image is an ECR image of that service's repository
 * with a tag or a digest. ValidateInput runs them before it asks ECR for the
 * digest; `deployer deploy` runs them before it starts anything, so a
 * mistake is refused on the operator's machine with the same message.
 * Given the deployer's own registry (`home`), an image of another account or
 * region is refused unless the service's config names that registry.
 */
import { findService, type DeployerConfig, type EcsServiceConfig } from './config.ts';
import type { DeploymentRequest } from './deployment.ts';
import { parseImage, type ImageRef } from './image.ts';
import { foreignRegistryProblem, type Registry } from './image-registry.ts';

/** The request's fields these checks can refuse. */
export type RequestField = 'service' | 'image';

/** The configured service and the parsed image, or the field that is wrong and why. */
export type RequestCheck =
  | { ok: true; service: EcsServiceConfig; image: ImageRef }
  | { ok: false; field: RequestField; message: string };

/** Check `request` against `config` (no AWS call); with `home`, the image's registry too. */
export function checkRequest(request: Pick<DeploymentRequest, 'service' | 'image'>, config: DeployerConfig, home?: Registry): RequestCheck {
  const svc = findService(config, request.service);
  if (svc === undefined) {
    const known = config.ecs.map((s) => s.name).join(', ') || '(none)';
    return { ok: false, field: 'service', message: `'${request.service}' is not in the deployer config; configured services: ${known}` };
  }
  const ref = parseImage(request.image);
  if (ref === undefined) {
    return {
      ok: false,
      field: 'image',
      message: `'${request.image}' is not an ECR image; expected ACCOUNT.dkr.ecr.REGION.amazonaws.com/${svc.repository}:TAG or ...@sha256:DIGEST`,
    };
  }
  if (ref.repository !== svc.repository) {
    return { ok: false, field: 'image', message: `repository '${ref.repository}' is not the one configured for ${svc.name} ('${svc.repository}')` };
  }
  const foreign = home === undefined ? undefined : foreignRegistryProblem(svc, ref, home);
  if (foreign !== undefined) return { ok: false, field: 'image', message: foreign };
  if (ref.tag === undefined && ref.digest === undefined) {
    return { ok: false, field: 'image', message: `give a tag (…/${ref.repository}:v1.2.3) or a digest (…/${ref.repository}@sha256:…)` };
  }
  return { ok: true, service: svc, image: ref };
}

/**
 * The checks of a deployment request that need only the config: the service
 * is configured, and the image is an ECR image of that service's repository
 * with a tag or a digest (for a VM service, the artifact is an object of the
 * service's bucket under its prefix, matching its pattern, and the release
 * name is valid). ValidateInput runs them before it asks ECR for the
 * digest; `deployer deploy` runs them before it starts anything, so a
 * mistake is refused on the operator's machine with the same message.
 * Given the deployer's own registry (`home`), an image of another account or
 * region is refused unless the service's config names that registry.
 */
import picomatch from 'picomatch';
import { RELEASE_PATTERNS } from '../vm/release-environment.ts';
import type { DeployerConfig, EcsServiceConfig, VmServiceConfig } from './config.ts';
import { findService, findVmService, serviceNames } from './config-lookup.ts';
import type { DeploymentRequest } from './deployment.ts';
import { parseImage, type ImageRef } from './image.ts';
import { foreignRegistryProblem, type Registry } from './image-registry.ts';
import { S3_URI, type VmDeploymentRequest } from './vm-deployment.ts';

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
    const vm = findVmService(config, request.service);
    if (vm !== undefined) {
      return {
        ok: false,
        field: 'service',
        message: `'${vm.name}' is a VM service: give artifact (an S3 URI under s3://${vm.artifacts.bucket}/${vm.artifacts.prefix}), not image`,
      };
    }
    return { ok: false, field: 'service', message: unknownService(request.service, config) };
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

function unknownService(name: string, config: DeployerConfig): string {
  const known = serviceNames(config).join(', ') || '(none)';
  return `'${name}' is not in the deployer config; configured services: ${known}`;
}

/** The VM request's fields these checks can refuse. */
export type VmRequestField = 'service' | 'artifact' | 'version';

/** The configured VM service, the artifact's bucket and key, and the release name, or the field that is wrong and why. */
export type VmRequestCheck =
  | { ok: true; service: VmServiceConfig; bucket: string; key: string; version: string }
  | { ok: false; field: VmRequestField; message: string };

/**
 * The literal start and end of a glob's file name around its wildcards
 * (`worker-*.tgz`: `worker-` and `.tgz`), what the file name has besides the release.
 */
function patternEnds(pattern: string): { head: string; tail: string } {
  const last = pattern.split('/').at(-1) ?? pattern;
  const first = last.search(/[*?]/);
  if (first < 0) return { head: '', tail: '' };
  const wildcard = Math.max(last.lastIndexOf('*'), last.lastIndexOf('?'));
  return { head: last.slice(0, first), tail: last.slice(wildcard + 1) };
}

/**
 * The release name an artifact's file name gives: what the pattern's
 * wildcards matched (without its extension and any literal start), and
 * without a leading `<service>-` (`api-1.4.0.tar.gz` of `api`: `1.4.0`).
 */
export function versionFromKey(key: string, pattern: string, service: string): string {
  const file = key.split('/').at(-1) ?? key;
  const { head, tail } = patternEnds(pattern);
  let bare = file;
  if (tail !== '' && bare.endsWith(tail) && bare.length > tail.length) bare = bare.slice(0, -tail.length);
  if (head !== '' && bare.startsWith(head) && bare.length > head.length) bare = bare.slice(head.length);
  return bare.startsWith(`${service}-`) && bare.length > service.length + 1 ? bare.slice(service.length + 1) : bare;
}

/** An artifact URI `svc` would accept, for messages: `s3://acme-artifacts/api/api-vm-1.4.0.tar.gz`. */
export function exampleArtifactUri(svc: VmServiceConfig): string {
  const { bucket, prefix, pattern } = svc.artifacts;
  const file = pattern.startsWith('*') ? `${svc.name}-1.4.0${pattern.slice(1)}` : pattern;
  return `s3://${bucket}/${prefix}${file.replace(/\*/g, '1.4.0').replace(/\?/g, '1')}`;
}

/** Check a VM `request` against `config` (no AWS call). */
export function checkVmRequest(request: Pick<VmDeploymentRequest, 'service' | 'artifact' | 'version'>, config: DeployerConfig): VmRequestCheck {
  const svc = findVmService(config, request.service);
  if (svc === undefined) {
    if (findService(config, request.service) !== undefined) {
      return { ok: false, field: 'service', message: `'${request.service}' is an ECS service: give image (an ECR image), not artifact` };
    }
    return { ok: false, field: 'service', message: unknownService(request.service, config) };
  }
  const { bucket: wantedBucket, prefix, pattern } = svc.artifacts;
  const example = exampleArtifactUri(svc);
  const uri = S3_URI.exec(request.artifact)?.groups;
  if (uri?.bucket === undefined || uri.key === undefined) {
    return { ok: false, field: 'artifact', message: `'${request.artifact}' is not an S3 URI; expected s3://BUCKET/KEY, e.g. ${example}` };
  }
  const { bucket, key } = uri;
  if (bucket !== wantedBucket) {
    return { ok: false, field: 'artifact', message: `bucket '${bucket}' is not the one configured for ${svc.name} ('${wantedBucket}'); e.g. ${example}` };
  }
  if (!key.startsWith(prefix) || key.length === prefix.length) {
    return { ok: false, field: 'artifact', message: `'${key}' is not under ${svc.name}'s prefix '${prefix}'; e.g. ${example}` };
  }
  if (!picomatch.isMatch(key.slice(prefix.length), pattern)) {
    return { ok: false, field: 'artifact', message: `'${key.slice(prefix.length)}' (after the prefix) does not match ${svc.name}'s pattern '${pattern}'; e.g. ${example}` };
  }
  if (request.version !== undefined) {
    if (!RELEASE_PATTERNS.version.test(request.version)) {
      return { ok: false, field: 'version', message: `'${request.version}' is not a release name: letters, digits, . _ -, at most 64, starting with a letter or digit` };
    }
    return { ok: true, service: svc, bucket, key, version: request.version };
  }
  const version = versionFromKey(key, pattern, svc.name);
  if (!RELEASE_PATTERNS.version.test(version)) {
    return {
      ok: false,
      field: 'version',
      message: `no release name can be read from the file name '${key.split('/').at(-1) ?? key}' ('${version}' is not letters, digits, . _ -, at most 64): pass version, e.g. "1.4.0"`,
    };
  }
  return { ok: true, service: svc, bucket, key, version };
}

/**
 * ECR image references: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG][@sha256:DIGEST]`.
 */

export interface ImageRef {
  registryId: string;
  region: string;
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const ECR_IMAGE =
  /^(?<registry>(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?)\/(?<repository>[a-z0-9]+(?:[._\/-][a-z0-9]+)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** Parse an ECR image reference, or return undefined when it is not one. */
export function parseImage(image: string): ImageRef | undefined {
  const groups = ECR_IMAGE.exec(image)?.groups;
  if (!groups) return undefined;
  const ref: ImageRef = {
    registryId: groups.account!,
    region: groups.region!,
    registry: groups.registry!,
    repository: groups.repository!,
  };
  if (groups.tag !== undefined) ref.tag = groups.tag;
  if (groups.digest !== undefined) ref.digest = groups.digest;
  return ref;
}

/** The image pinned by digest: `REGISTRY/REPO@sha256:...`. */
export function pinnedImage(ref: Pick<ImageRef, 'registry' | 'repository'>, digest: string): string {
  return `${ref.registry}/${ref.repository}@${digest}`;
}

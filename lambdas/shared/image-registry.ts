/**
 * Which ECR registry a service's images come from. By default the
 * deployer's own: the account and region of the stack, which every Lambda
 * reads from an ARN AWS gives it (its execution's, its own function's). A
 * service whose config names `registry: { accountId, region }` takes its
 * images from that registry instead, and only from it: an image is never
 * looked up in a registry the config does not name.
 */
import type { EcsServiceConfig, RegistryConfig } from './config.ts';
import type { ImageRef } from './image.ts';

/** An ECR registry: the account that owns it and its region. */
export type Registry = RegistryConfig;

const ARN = /^arn:aws(?:-cn|-us-gov)?:[a-z0-9-]+:(?<region>[a-z]{2}(?:-[a-z]+)+-\d):(?<account>\d{12}):/;

/** An ARN that names no region and account (the deployer's home cannot be read from it). */
export class NotARegionalArn extends Error {
  public override readonly name = 'NotARegionalArn';
}

/** The deployer's own registry: the region and account of an ARN of this deployment (an execution, a function). */
export function homeRegistry(arn: string): Registry {
  const groups = ARN.exec(arn)?.groups;
  if (groups?.region === undefined || groups.account === undefined) {
    throw new NotARegionalArn(`cannot tell the deployer's account and region from '${arn}': not a regional ARN`);
  }
  return { accountId: groups.account, region: groups.region };
}

/** The registry `svc`'s images must come from. */
export function registryOf(svc: Pick<EcsServiceConfig, 'registry'>, home: Registry): Registry {
  return svc.registry ?? home;
}

/** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (`.com.cn` in the China regions). */
export function registryHost(registry: Registry): string {
  const suffix = registry.region.startsWith('cn-') ? '.cn' : '';
  return `${registry.accountId}.dkr.ecr.${registry.region}.amazonaws.com${suffix}`;
}

/** Whether an image reference is in `registry`. */
export function isInRegistry(ref: Pick<ImageRef, 'registryId' | 'region'>, registry: Registry): boolean {
  return ref.registryId === registry.accountId && ref.region === registry.region;
}

/** The config line that names a registry: `registry: { accountId: "111122223333", region: eu-west-1 }`. */
export function registryConfigLine(registry: Registry): string {
  return `registry: { accountId: "${registry.accountId}", region: ${registry.region} }`;
}

/**
 * Why an image of `ref`'s registry cannot deploy `svc`, in words that say
 * what to do; undefined when it is the service's registry.
 */
export function foreignRegistryProblem(svc: Pick<EcsServiceConfig, 'name' | 'registry'>, ref: Pick<ImageRef, 'registryId' | 'region'>, home: Registry): string | undefined {
  const expected = registryOf(svc, home);
  if (isInRegistry(ref, expected)) return undefined;
  const given = `account ${ref.registryId}, ${ref.region}`;
  if (svc.registry === undefined) {
    return (
      `the image is in the ECR registry of ${given}, not the deployer's own (account ${home.accountId}, ${home.region}); ` +
      `${svc.name} deploys images from ${registryHost(home)} only. To deploy from that registry, name it in ${svc.name}'s config: ` +
      registryConfigLine({ accountId: ref.registryId, region: ref.region })
    );
  }
  return (
    `the image is in the ECR registry of ${given}, not the one ${svc.name}'s config names ` +
    `(${registryConfigLine(svc.registry)}, ${registryHost(svc.registry)}); push it there, or change the config`
  );
}

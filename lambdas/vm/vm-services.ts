/**
 * The config's VM services (the `vm:` list, lambdas/shared/vm-config.ts) as
 * the S3 trigger and the stack read them: each service's targets blocks
 * (the fleet, or both groups) and its load balancer.
 */
import type { DeployerConfig } from '../shared/config.ts';
import { targetBlocksOf } from '../shared/config-lookup.ts';
import type { VmServiceConfig } from '../shared/vm-config.ts';

export type VmServiceView = VmServiceConfig;

/** The VM services of a validated config. */
export function vmServicesOf(config: DeployerConfig): VmServiceConfig[] {
  return config.vm;
}

/** Every targets block of a service (the fleet, or both groups). */
export function targetBlocks(svc: VmServiceConfig): ReturnType<typeof targetBlocksOf>[number]['targets'][] {
  return targetBlocksOf(svc).map((block) => block.targets);
}

/** The listeners of a blue-green service. */
export function vmLoadBalancerOf(svc: VmServiceConfig): { listener: string; testListener?: string } | undefined {
  return svc.strategy === 'blue-green' ? svc.loadBalancer : undefined;
}

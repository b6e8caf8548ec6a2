/**
 * Lookups in a parsed config. Apart from `config.ts` so the handlers that
 * only read a config import no schema: the one that parses it (`catalog.ts`)
 * loads the schema on its first call.
 */
import type { DeployerConfig, EcsServiceConfig, ServiceConfig, VmServiceConfig } from './config.ts';
import type { VmTargetsConfig } from './vm-config.ts';

/** Find an ECS service by its deployer name. */
export function findService(config: DeployerConfig, name: string): EcsServiceConfig | undefined {
  return config.ecs.find((s) => s.name === name);
}

/** Find a VM service by its deployer name. */
export function findVmService(config: DeployerConfig, name: string): VmServiceConfig | undefined {
  return config.vm.find((s) => s.name === name);
}

/** True for a VM service (an entry of `vm:`), false for an ECS one. */
export function isVmService(svc: ServiceConfig): svc is VmServiceConfig {
  return 'artifacts' in svc;
}

/** Every service, ECS ones first, in file order. */
export function allServices(config: DeployerConfig): ServiceConfig[] {
  return [...config.ecs, ...config.vm];
}

/** The names of every service, for messages that list them. */
export function serviceNames(config: DeployerConfig): string[] {
  return allServices(config).map((s) => s.name);
}

/** The targets blocks of a service, with their path in the entry. */
export function targetBlocksOf(svc: VmServiceConfig): { path: 'targets' | 'blue' | 'green'; targets: VmTargetsConfig }[] {
  if (svc.strategy === 'blue-green') {
    return [
      { path: 'blue', targets: svc.blue },
      { path: 'green', targets: svc.green },
    ];
  }
  return [{ path: 'targets', targets: svc.targets }];
}

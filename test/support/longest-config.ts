/**
 * The longest configurations validation accepts, one service per strategy:
 * the smallest verify interval and the longest bakes (whole minutes) that
 * stay within the worst-case duration and history-event budgets.
 */
import { ConfigError, type DeployerConfig, type EcsServiceConfig } from '../../lambdas/shared/config.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';
import { rehearsalConfigYaml } from './rehearsal-config.ts';

/** The rehearsal config with `lines` replacing the defaults of one service. */
export function configWith(service: 'web' | 'checkout' | 'payments', lines: string[]): DeployerConfig {
  // The lines replace the defaults the rehearsal config gives these services.
  const yaml = rehearsalConfigYaml({ [service]: lines })
    .replace(service === 'payments' ? '    keepWarm: 2m\n' : '\0', '')
    .replace(service === 'web' ? '    bakeSeconds: 60\n' : '\0', '');
  return parseConfigYaml(yaml, 'limits config');
}

export function accepted(service: 'web' | 'checkout' | 'payments', lines: string[]): EcsServiceConfig | undefined {
  try {
    return configWith(service, lines).ecs.find((s) => s.name === service);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/** The longest bake (whole minutes, every step alike) validation accepts at the smallest verify interval. */
export function longestAccepted(service: 'web' | 'checkout' | 'payments', lines: (bakeMinutes: number) => string[]): { minutes: number; svc: EcsServiceConfig } {
  let low = 1;
  let high = 36 * 60;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (accepted(service, lines(mid)) !== undefined) low = mid;
    else high = mid;
  }
  return { minutes: low, svc: accepted(service, lines(low))! };
}

export const LONGEST = {
  web: (m: number) => ['verifyIntervalSeconds: 10', 'deploymentTimeoutSeconds: 3600', `bakeSeconds: ${m * 60}`],
  checkout: (m: number) => ['verifyIntervalSeconds: 10', `steps: [{weight: 10, bake: ${m}m}, {approval: true, timeout: 1h}, {weight: 50, bake: ${m}m}, {weight: 100, bake: ${m}m}]`],
  payments: (m: number) => ['verifyIntervalSeconds: 10', `steps: [{weight: 50, bake: ${m}m}, {weight: 100, bake: ${m}m}]`, `keepWarm: ${m}m`],
};


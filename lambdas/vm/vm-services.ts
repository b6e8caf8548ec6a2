/**
 * What the S3 trigger and the stack need to know of the config's VM
 * services (the `vm:` list, validated by the config schema): each service's
 * strategy, where its artifacts are uploaded, and which AWS resources its
 * hosts involve. Read as a view, so only these fields are relied on here.
 */
import * as z from 'zod';
import type { DeployerConfig } from '../shared/config.ts';

/** Only the fields read here; the config schema validates the whole entry. */
const TargetsView = z.object({
  ec2Tags: z.record(z.string(), z.string()).optional(),
  instanceIds: z.array(z.string()).optional(),
  hosts: z.array(z.object({ name: z.string(), privateKeySecret: z.string().optional() })).optional(),
  targetGroup: z.string().optional(),
});

const VmServiceView = z.object({
  name: z.string(),
  strategy: z.enum(['rolling', 'canary', 'blue-green']),
  artifacts: z.object({ bucket: z.string(), prefix: z.string().default(''), pattern: z.string().default('*.tar.gz') }),
  targets: TargetsView.optional(),
  blue: TargetsView.optional(),
  green: TargetsView.optional(),
  loadBalancer: z.object({ listener: z.string(), testListener: z.string().optional() }).optional(),
  ssh: z.object({ subnetIds: z.array(z.string()), securityGroupIds: z.array(z.string()), privateKeySecret: z.string().optional() }).optional(),
  alarms: z.array(z.string()).optional(),
});
export type VmServiceView = z.output<typeof VmServiceView>;

/** The VM services of a validated config (none when it has no `vm:` list). */
export function vmServicesOf(config: DeployerConfig): VmServiceView[] {
  const list = (config as Readonly<Record<string, unknown>>).vm;
  if (list === undefined || list === null) return [];
  return z.array(VmServiceView).parse(list);
}

/** Every targets block of a service (the fleet, or both groups). */
export function targetBlocks(svc: VmServiceView): z.output<typeof TargetsView>[] {
  return [svc.targets, svc.blue, svc.green].filter((t): t is z.output<typeof TargetsView> => t !== undefined);
}

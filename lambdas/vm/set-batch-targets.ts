/**
 * SetBatchTargets: take a batch's hosts out of their target group before
 * their service stops (`deregister`, then `drained` until the load balancer
 * has drained them), and put them back after their health check
 * (`register`). Only hosts that are in their target group are taken out
 * (and put back). Without a batch (the rollback) it registers every host the
 * ledger says is still out: a failure never leaves a host drained. Nothing
 * to do when the group has no target group.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { VmDeploymentSchema, type VmDeployment } from '../shared/vm-deployment.ts';
import { elb } from '../elb/elb-client.ts';
import { readBatch, readLedger, updateLedger, type LedgerItem } from './host-ledger.ts';
import { sshHostOf, targetsOf } from './host-release.ts';

const Group = z.enum(['fleet', 'blue', 'green']);
const EventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('deregister'), deployment: VmDeploymentSchema, group: Group, batch: z.number().check(z.int(), z.gte(0)) }),
  z.object({ action: z.literal('drained'), deployment: VmDeploymentSchema, group: Group, batch: z.number().check(z.int(), z.gte(0)) }),
  z.object({ action: z.literal('register'), deployment: VmDeploymentSchema, group: Group, batch: z.number().check(z.int(), z.gte(0)) }),
  z.object({ action: z.literal('register-all'), deployment: VmDeploymentSchema }),
]);

/** `$.targets` after each action. */
export interface BatchTargets {
  /** Hosts acted on (0 when their group has no target group). */
  targets: number;
  /** False while a deregistered target is still draining. */
  drained: boolean;
}

/** ELB calls take at most this many targets at once. */
const TARGET_CHUNK = 100;

/** A host's target in its group's target group, or undefined when it has none. */
function targetOf(deployment: VmDeployment, item: LedgerItem): { targetGroupArn: string; target: TargetDescription } | undefined {
  const targets = targetsOf(deployment, item.group);
  if (targets.targetGroupArn === undefined) return undefined;
  if (item.executor === 'ssm') {
    return { targetGroupArn: targets.targetGroupArn, target: { Id: item.host, ...(targets.targetPort === undefined ? {} : { Port: targets.targetPort }) } };
  }
  const target = sshHostOf(targets, item.host).target;
  if (target === undefined) return undefined;
  return { targetGroupArn: targets.targetGroupArn, target: { Id: target.id, ...(target.port === undefined ? {} : { Port: target.port }) } };
}

/** The targets of `items`, by target group. */
function byTargetGroup(deployment: VmDeployment, items: readonly LedgerItem[]): Map<string, { items: LedgerItem[]; targets: TargetDescription[] }> {
  const out = new Map<string, { items: LedgerItem[]; targets: TargetDescription[] }>();
  for (const item of items) {
    const found = targetOf(deployment, item);
    if (found === undefined) continue;
    const entry = out.get(found.targetGroupArn) ?? { items: [], targets: [] };
    entry.items.push(item);
    entry.targets.push(found.target);
    out.set(found.targetGroupArn, entry);
  }
  return out;
}

/** Which of `targets` are registered in the target group (a host that is not, such as a new one, is not taken out). */
async function registeredOnly(TargetGroupArn: string, targets: readonly TargetDescription[]): Promise<boolean[]> {
  const health = await awsCall('elasticloadbalancing:DescribeTargetHealth', () =>
    elb().send(new DescribeTargetHealthCommand({ TargetGroupArn, Targets: [...targets] })),
  );
  const notRegistered = (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.Reason === 'Target.NotRegistered');
  // A target given without its port is answered with the group's port: match it by its ID alone.
  return targets.map((t) => !notRegistered.some((d) => d.Target?.Id === t.Id && (t.Port === undefined || d.Target?.Port === t.Port)));
}

async function deregister(deployment: VmDeployment, items: readonly LedgerItem[]): Promise<BatchTargets> {
  let count = 0;
  for (const [TargetGroupArn, entry] of byTargetGroup(deployment, items)) {
    const registered = await registeredOnly(TargetGroupArn, entry.targets);
    const targets = entry.targets.filter((_, i) => registered[i]);
    const hosts = entry.items.filter((_, i) => registered[i]);
    for (let i = 0; i < targets.length; i += TARGET_CHUNK) {
      const Targets = targets.slice(i, i + TARGET_CHUNK);
      // Marked first: if the call succeeds and the function dies, the rollback still registers them.
      for (const item of hosts.slice(i, i + TARGET_CHUNK)) await updateLedger(deployment.executionName, item.host, { deregistered: true });
      await awsCall('elasticloadbalancing:DeregisterTargets', () => elb().send(new DeregisterTargetsCommand({ TargetGroupArn, Targets })));
    }
    count += targets.length;
  }
  return { targets: count, drained: count === 0 };
}

async function drained(deployment: VmDeployment, items: readonly LedgerItem[]): Promise<BatchTargets> {
  let count = 0;
  let draining = 0;
  for (const [TargetGroupArn, entry] of byTargetGroup(deployment, items)) {
    const health = await awsCall('elasticloadbalancing:DescribeTargetHealth', () =>
      elb().send(new DescribeTargetHealthCommand({ TargetGroupArn, Targets: entry.targets })),
    );
    draining += (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'draining').length;
    count += entry.targets.length;
  }
  return { targets: count, drained: draining === 0 };
}

async function register(deployment: VmDeployment, items: readonly LedgerItem[]): Promise<BatchTargets> {
  let count = 0;
  for (const [TargetGroupArn, entry] of byTargetGroup(deployment, items.filter((i) => i.deregistered === true))) {
    for (let i = 0; i < entry.targets.length; i += TARGET_CHUNK) {
      const Targets = entry.targets.slice(i, i + TARGET_CHUNK);
      await awsCall('elasticloadbalancing:RegisterTargets', () => elb().send(new RegisterTargetsCommand({ TargetGroupArn, Targets })));
      for (const item of entry.items.slice(i, i + TARGET_CHUNK)) await updateLedger(deployment.executionName, item.host, { deregistered: false });
    }
    count += entry.targets.length;
  }
  return { targets: count, drained: true };
}

export const handler = createHandler(EventSchema, async function setBatchTargets(event): Promise<BatchTargets> {
  const { deployment } = event;
  const items =
    event.action === 'register-all'
      ? await readLedger(deployment.executionName)
      : await readBatch(deployment.executionName, event.group, event.batch);
  let result: BatchTargets;
  if (event.action === 'deregister') result = await deregister(deployment, items);
  else if (event.action === 'drained') result = await drained(deployment, items);
  else result = await register(deployment, items);
  logger.info('batch targets', { serviceName: deployment.service, action: event.action, ...result });
  return result;
});

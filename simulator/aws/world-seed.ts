/**
 * The world the config describes, as it stands before any deployment:
 *
 * - rolling: the service runs the initial revision (no load balancer);
 * - canary: the primary service runs it behind `loadBalancer.targetGroup`,
 *   which the listener (or rule) forwards to alone; the canary target group
 *   exists and is empty; a configured `canaryService` exists with
 *   desiredCount 0 (registered in the canary target group), otherwise the
 *   canary service does not exist;
 * - blue-green: blue runs the initial revision behind its target group, which
 *   the production listener (or rule) forwards to alone; green is scaled to
 *   0 on the previous revision, behind its own target group, which the test
 *   listener (if any) forwards to.
 */
import type { LoadBalancer } from '@aws-sdk/client-ecs';
import type { EcsServiceConfig } from '../../lambdas/shared/config.ts';
import { nameFromArnOrName } from './arns.ts';
import type { SimEcr } from './ecr.ts';
import { APP_PORT } from './ecs-seed.ts';
import type { SimEcs } from './ecs.ts';
import { seedLoadBalancing, type EntryPointSeed, type TargetGroupSeed } from './elbv2-seed.ts';
import type { ElbStore } from './elbv2-store.ts';
import type { Place } from './arns.ts';
import { taskTimingOf, type WorldTiming } from './world-timing.ts';

/** The tag the seeded services run. */
export const INITIAL_TAG = 'v1.0.0';
/** The revision of the seeded task definitions. */
export const INITIAL_REVISION = 7;
/** The tag an idle blue-green colour was left on. */
export const PREVIOUS_TAG = 'v0.9.0';

/** How a test wants one seeded service to differ (keyed `"<cluster>/<service>"`). */
export interface ServiceOverride {
  /** Default 'ECS'. The deployer refuses the others. */
  deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  /** Put the service behind this Classic Load Balancer (as well as its target groups, if any). */
  classicLoadBalancer?: string;
  desiredCount?: number;
}

/** What the world needs to know about each configured service. */
export interface ConfiguredService {
  config: EcsServiceConfig;
  cluster: string;
  /** The ECS services of the entry, in snapshot order (a canary service may not exist). */
  ecsServices: string[];
  /** Canary: the canary service's name (configured, or `<service>-canary` as the deployer creates it). */
  canaryService?: string;
  /** The listener or rule of production traffic, behind a load balancer. */
  production?: string;
  /** Blue-green: the test listener. */
  test?: string;
}

/** What seeding needs. */
export interface SeedContext {
  place: Place;
  ecr: SimEcr;
  ecs: SimEcs;
  elb: ElbStore;
  timing: WorldTiming;
  desiredCount: number | undefined;
  overrides: Readonly<Record<string, ServiceOverride>>;
  at: number;
}

function pathOf(url: string | undefined): string {
  return url === undefined ? '/health' : new URL(url).pathname;
}

/** The listeners, rules and target groups the config names. */
function loadBalancingOf(config: readonly EcsServiceConfig[]): { entries: EntryPointSeed[]; groups: TargetGroupSeed[] } {
  const entries: EntryPointSeed[] = [];
  const groups: TargetGroupSeed[] = [];
  for (const svc of config) {
    const url = svc.healthCheck?.url;
    const path = pathOf(url);
    if (svc.strategy === 'canary') {
      entries.push({ arn: svc.loadBalancer.listener, targetGroupArn: svc.loadBalancer.targetGroup, role: 'production', ...(url === undefined ? {} : { url }) });
      groups.push({ arn: svc.loadBalancer.targetGroup, healthCheckPath: path }, { arn: svc.loadBalancer.canaryTargetGroup, healthCheckPath: path });
    }
    if (svc.strategy === 'blue-green') {
      entries.push({ arn: svc.loadBalancer.listener, targetGroupArn: svc.blue.targetGroup, role: 'production', ...(url === undefined ? {} : { url }) });
      const testUrl = svc.healthCheck?.testUrl;
      if (svc.loadBalancer.testListener !== undefined) {
        entries.push({ arn: svc.loadBalancer.testListener, targetGroupArn: svc.green.targetGroup, role: 'test', ...(testUrl === undefined ? {} : { url: testUrl }) });
      }
      groups.push({ arn: svc.blue.targetGroup, healthCheckPath: path }, { arn: svc.green.targetGroup, healthCheckPath: path });
    }
  }
  return { entries, groups };
}

function familyFor(ecs: SimEcs, name: string, cluster: string): string {
  return ecs.taskDefinitions.resolve(name) === undefined ? name : `${name}-${cluster}`;
}

function seedOne(
  context: SeedContext,
  svc: EcsServiceConfig,
  cluster: string,
  service: string,
  revision: { family: string; revision: number; tag: string },
  desiredCount: number,
  targetGroup: string | undefined,
): void {
  const override = context.overrides[`${cluster}/${service}`] ?? {};
  const taskDefinition = context.ecs.seedTaskDefinition({
    family: revision.family,
    revision: revision.revision,
    container: svc.container,
    image: context.ecr.pinnedUri(svc.repository, revision.tag, svc.registry),
    containerCheck: context.timing.containerHealthCheck,
  });
  const loadBalancers: LoadBalancer[] = [];
  if (targetGroup !== undefined) loadBalancers.push({ targetGroupArn: targetGroup, containerName: svc.container, containerPort: APP_PORT });
  if (override.classicLoadBalancer !== undefined) {
    loadBalancers.push({ loadBalancerName: override.classicLoadBalancer, containerName: svc.container, containerPort: APP_PORT });
  }
  context.ecs.seedService({
    cluster,
    service,
    taskDefinition,
    desiredCount: override.desiredCount ?? desiredCount,
    loadBalancers,
    deploymentController: override.deploymentController ?? 'ECS',
    healthCheckGracePeriodSeconds: targetGroup === undefined ? 0 : context.timing.healthCheckGracePeriodSeconds,
    timing: taskTimingOf(context.timing),
  });
}

/** Seed ECR, the load balancer and ECS from the config; returns what the world tracks of each entry. */
export function seedWorld(config: readonly EcsServiceConfig[], context: SeedContext): ConfiguredService[] {
  const { entries, groups } = loadBalancingOf(config);
  const tg = context.timing.targetGroup;
  seedLoadBalancing(context.elb, context.place, entries, groups, tg, context.at);
  const initial = (family: string): { family: string; revision: number; tag: string } => ({ family, revision: INITIAL_REVISION, tag: INITIAL_TAG });
  return config.map((svc) => {
    const cluster = nameFromArnOrName(svc.cluster);
    if (svc.strategy === 'rolling') {
      seedOne(context, svc, cluster, svc.service, initial(familyFor(context.ecs, svc.service, cluster)), context.desiredCount ?? 3, undefined);
      return { config: svc, cluster, ecsServices: [svc.service] };
    }
    if (svc.strategy === 'canary') {
      const revision = initial(familyFor(context.ecs, svc.service, cluster));
      seedOne(context, svc, cluster, svc.service, revision, context.desiredCount ?? 4, svc.loadBalancer.targetGroup);
      if (svc.canaryService !== undefined) seedOne(context, svc, cluster, svc.canaryService, revision, 0, svc.loadBalancer.canaryTargetGroup);
      const canaryService = svc.canaryService ?? `${svc.service}-canary`;
      return { config: svc, cluster, ecsServices: [svc.service, canaryService], canaryService, production: svc.loadBalancer.listener };
    }
    const family = familyFor(context.ecs, svc.name, cluster);
    seedOne(context, svc, cluster, svc.blue.service, { family, revision: INITIAL_REVISION, tag: INITIAL_TAG }, context.desiredCount ?? 4, svc.blue.targetGroup);
    seedOne(context, svc, cluster, svc.green.service, { family, revision: INITIAL_REVISION - 1, tag: PREVIOUS_TAG }, 0, svc.green.targetGroup);
    const seeded: ConfiguredService = { config: svc, cluster, ecsServices: [svc.blue.service, svc.green.service], production: svc.loadBalancer.listener };
    if (svc.loadBalancer.testListener !== undefined) seeded.test = svc.loadBalancer.testListener;
    return seeded;
  });
}

/**
 * The ECS tasks as the load balancer sees them: the targets registered in a
 * target group (for DescribeTargetHealth), the targets that may serve
 * traffic (for metrics), the ones healthy now (for HTTP requests), and
 * whether a new revision serves production traffic (for alarms).
 */
import type { SimEcr } from './ecr.ts';
import type { SimService, SimTask } from './ecs-model.ts';
import { presenceOf, statusAt } from './ecs-task-lifecycle.ts';
import type { SimEcs } from './ecs.ts';
import type { RegisteredTarget, SimElbv2 } from './elbv2.ts';
import type { ImageHealth } from './image-health.ts';
import type { ServingNow } from './alb-http.ts';
import { servesAt } from './target-health.ts';
import type { ServingTarget } from './traffic.ts';

/** Where the ECS services of one configured service live, and their production listener or rule. */
export interface ServiceGroup {
  cluster: string;
  ecsServices: readonly string[];
  production?: string;
}

/** Reads ECS tasks as targets of the simulated load balancer. */
export class ServiceTargets {
  public constructor(
    private readonly ecs: SimEcs,
    private readonly elbv2: SimElbv2,
    private readonly ecr: SimEcr,
    private readonly health: ImageHealth,
  ) {}

  /** Targets registered in the group (ECS brought up to date), draining ones included. */
  public registered(targetGroupArn: string): RegisteredTarget[] {
    return this.tasksIn(targetGroupArn).flatMap(({ task, port }) => {
      const presence = presenceOf(task, this.ecs.fateOf(task.taskDefinitionArn));
      return presence === undefined ? [] : [{ id: task.ip, port, availabilityZone: task.availabilityZone, presence }];
    });
  }

  /** Every target that ever ran in the group, with how its image serves. */
  public serving(targetGroupArn: string): ServingTarget[] {
    return this.tasksIn(targetGroupArn).flatMap(({ task }) => {
      const presence = presenceOf(task, this.ecs.fateOf(task.taskDefinitionArn));
      if (presence === undefined) return [];
      const stored = this.ecs.taskDefinitions.resolve(task.taskDefinitionArn);
      const images = stored === undefined ? [] : this.ecs.taskDefinitions.images(stored);
      const profile = images.some((image) => this.health.profileOf(image) === 'bad') ? 'bad' : 'normal';
      return [{ id: task.id, presence, profile }];
    });
  }

  /** The targets of the group that are healthy at `at`, with the tag of the image they run. */
  public healthy(targetGroupArn: string, at: number): ServingNow[] {
    const group = this.elbv2.view(targetGroupArn);
    if (group === undefined) return [];
    return this.tasksIn(targetGroupArn).flatMap(({ task, container }) => {
      const presence = presenceOf(task, this.ecs.fateOf(task.taskDefinitionArn));
      if (presence === undefined || !servesAt(presence, at, group.usage, group.timing)) return [];
      const stored = this.ecs.taskDefinitions.resolve(task.taskDefinitionArn);
      const image = stored === undefined ? undefined : this.ecs.taskDefinitions.containerImage(stored, container);
      return [{ id: task.ip, version: image === undefined ? undefined : this.ecr.tagOf(image) }];
    });
  }

  /**
   * Whether a task of a task definition not in `initial` serves at `at` in
   * one of the group's ECS services: RUNNING, for a service without target
   * group; healthy in a target group the production listener or rule
   * forwards to with a weight above 0, otherwise.
   */
  public newRevisionServes(group: ServiceGroup, initial: ReadonlySet<string>, at: number): boolean {
    const weights = group.production === undefined ? {} : (this.elbv2.weightsOf(group.production) ?? {});
    return group.ecsServices.some((name) => {
      const service = this.ecs.service(group.cluster, name);
      if (service === undefined || service.status === 'INACTIVE') return false;
      const targetGroups = this.ecs.targetGroupsOf(service);
      return service.tasks.some((task) => {
        if (initial.has(task.taskDefinitionArn)) return false;
        if (targetGroups.length === 0) return ['RUNNING', 'DEACTIVATING'].includes(statusAt(task, at));
        const presence = presenceOf(task, this.ecs.fateOf(task.taskDefinitionArn));
        return (
          presence !== undefined &&
          targetGroups.some((g) => (weights[g.arn] ?? 0) > 0 && servesAt(presence, at, g.usage, g.timing))
        );
      });
    });
  }

  /** The tasks of every service registered in a target group (ECS brought up to date), with the port and container. */
  private tasksIn(targetGroupArn: string): Array<{ service: SimService; task: SimTask; port: number; container: string }> {
    return this.ecs.servicesIn(targetGroupArn).flatMap((service) => {
      const lb = service.loadBalancers.find((l) => l.targetGroupArn === targetGroupArn);
      return service.tasks.map((task) => ({ service, task, port: lb?.containerPort ?? 8080, container: lb?.containerName ?? '' }));
    });
  }
}

/**
 * What the tasks of an image do. ECS starts tasks of images it can pull (per
 * the simulated ECR); an image declared unhealthy starts but never passes a
 * health check; an image declared bad starts and passes its health checks
 * but serves errors and slow responses once it gets traffic; anything else
 * serves normally.
 */
import type { SimEcr } from './ecr.ts';
import type { ImageFate } from './ecs-task-lifecycle.ts';

/** How an image's tasks serve requests once healthy. */
export type ServingProfile = 'normal' | 'bad';

/** The images declared unhealthy or bad, keyed by their digest-pinned form so tag and digest references agree. */
export class ImageHealth {
  private readonly unhealthy = new Set<string>();
  private readonly bad = new Set<string>();

  public constructor(private readonly ecr: SimEcr) {}

  /** Declare an image unhealthy: given by tag or digest, it is resolved to its digest through the simulated ECR. */
  public markUnhealthy(image: string): void {
    this.unhealthy.add(this.canonical(image, 'markImageUnhealthy'));
  }

  /** Declare an image bad: healthy to ECS and the load balancer, but ~8% 5xx and ~900 ms p99 under traffic. */
  public markBad(image: string): void {
    this.bad.add(this.canonical(image, 'markImageBad'));
  }

  /** Tasks of this image start and pass their health checks. */
  public isHealthy(image: string): boolean {
    return this.fateOf(image) === 'healthy';
  }

  /** What ECS sees of tasks of this image. */
  public fateOf(image: string): ImageFate {
    const resolved = this.ecr.resolveImage(image);
    // An image ECR cannot serve fails to start (CannotPullContainerError).
    if (resolved.kind === 'missing') return 'missing';
    return this.unhealthy.has(resolved.canonical) ? 'unhealthy' : 'healthy';
  }

  /** How tasks of this image serve once they get traffic. */
  public profileOf(image: string): ServingProfile {
    const resolved = this.ecr.resolveImage(image);
    return resolved.kind !== 'missing' && this.bad.has(resolved.canonical) ? 'bad' : 'normal';
  }

  private canonical(image: string, what: string): string {
    const resolved = this.ecr.resolveImage(image);
    if (resolved.kind === 'missing') throw new Error(`${what}: ${resolved.reason} (${image})`);
    return resolved.canonical;
  }
}

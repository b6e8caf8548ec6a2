/**
 * Whether the tasks of an image become healthy. ECS starts tasks of images it
 * can pull (per the simulated ECR) that were not declared bad by the test or
 * the rehearsal; everything else fails to start, as a bad release would.
 */
import type { SimEcr } from './ecr.ts';

/** The images declared bad, keyed by their digest-pinned form so tag and digest references agree. */
export class ImageHealth {
  private readonly unhealthy = new Set<string>();

  public constructor(private readonly ecr: SimEcr) {}

  /** Declare an image bad: given by tag or digest, it is resolved to its digest through the simulated ECR. */
  public markUnhealthy(image: string): void {
    const resolved = this.ecr.resolveImage(image);
    if (resolved.kind === 'missing') throw new Error(`markImageUnhealthy: ${resolved.reason} (${image})`);
    this.unhealthy.add(resolved.canonical);
  }

  /** Tasks of this image start and pass their health checks. */
  public isHealthy(image: string): boolean {
    const resolved = this.ecr.resolveImage(image);
    // An image ECR cannot serve fails to start (CannotPullContainerError), like a bad one.
    if (resolved.kind === 'missing') return false;
    return !this.unhealthy.has(resolved.canonical);
  }
}

/**
 * What UpdateService and RestoreService return, and CheckService polls: the
 * service, the task definition and task count it was asked for, and until
 * when it may take.
 */
import * as z from 'zod/mini';

export const ServiceChangeSchema = z.object({
  service: z.string(),
  taskDefinitionArn: z.string(),
  desiredCount: z.number().check(z.int(), z.gte(0)),
  /** Epoch ms after which an unfinished change fails (`RolloutTimedOut`). */
  deadline: z.number(),
  /** Epoch ms the change was asked for. */
  startedAt: z.number(),
});
export type ServiceChange = z.output<typeof ServiceChangeSchema>;

/** A change, and whether there is anything to wait for. */
export type ServiceChangeResult = ServiceChange & { state: 'IN_PROGRESS' | 'COMPLETED'; action?: string };

/** A share of a task count, for a canary step: `percent` of `of` tasks, at least one. */
export function shareOf(of: number, percent: number): number {
  return Math.max(1, Math.ceil((of * percent) / 100));
}

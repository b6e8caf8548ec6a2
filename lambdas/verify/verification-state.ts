/**
 * What verification carries from one check to the next in the execution
 * state (`$.baseline`, `$.verification`), so the verdicts and the figures
 * behind them are visible in the execution's history.
 *
 * Built at import, unlike the shared event schemas (`z.lazy` in
 * deployment.ts): this is decision code held to a mutation score, and
 * Stryker cannot switch a mutant inside a schema a lazy getter has already
 * built and cached; the Verify handler parses these anyway.
 */
import * as z from 'zod/mini';

export const FiguresSchema = z.object({
  requests: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  p99: z.optional(z.number()),
  from: z.number(),
  to: z.number(),
});

/** Taken before anything changes (`$.baseline`). */
export const BaselineSchema = z.object({
  /** Alarms in ALARM before the deployment: reported, not blamed on it. */
  alarmsInAlarm: z.array(z.string()),
  /** The old side's figures over the minutes before the deployment (canary, blue-green). */
  reference: FiguresSchema,
  capturedAt: z.number(),
});
export type Baseline = z.output<typeof BaselineSchema>;

/** Which checks a verification runs, over which window. */
export const WindowSchema = z.object({
  /** rollout: while ECS replaces tasks; test: the idle colour through the test listener; bake; keep-warm. */
  phase: z.enum(['rollout', 'test', 'bake', 'keep-warm']),
  /** Epoch ms the window starts (traffic moved, rollout started or completed). */
  since: z.number(),
  bakeSeconds: z.number().check(z.int(), z.gte(0)),
  newTargetGroupArn: z.optional(z.string()),
  oldTargetGroupArn: z.optional(z.string()),
  /** Percent of traffic on the new side, for the verdict. */
  weight: z.optional(z.number()),
  /** Index of the step in `deployment.steps`, for the history. */
  step: z.optional(z.number().check(z.int())),
});
export type Window = z.output<typeof WindowSchema>;

/** The state of one window's verification (`$.verification`). */
export const VerificationStateSchema = z.object({
  checks: z.number().check(z.int(), z.gte(0)),
  done: z.boolean(),
  /** Epoch ms of this window's first check. */
  startedAt: z.optional(z.number()),
  consecutiveHealthFailures: z.optional(z.number().check(z.int(), z.gte(0))),
  /** The old side's latest figures with enough traffic: compared with when it has none (100% on the new side). */
  reference: z.optional(FiguresSchema),
  verdict: z.optional(z.string()),
});
export type VerificationState = z.output<typeof VerificationStateSchema> & {
  figures?: { new?: z.output<typeof FiguresSchema>; old?: z.output<typeof FiguresSchema> };
  bakeUntil?: number;
};

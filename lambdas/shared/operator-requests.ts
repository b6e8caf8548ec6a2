/**
 * What operators and running deployments say to each other through the
 * service's lock item (`pk=SERVICE#<name>, sk=LOCK`): the approval a
 * deployment waits for, and a request to end the current bake now.
 *
 * One definition for the Lambdas that write or read them (RequestApproval,
 * Verify) and the CLI (`deployer approve|reject|promote|status`).
 */
import * as z from 'zod/mini';

/** Lock item attribute holding the pending approval. */
export const APPROVAL_ATTRIBUTE = 'approval';
/** Lock item attribute holding a promote request. */
export const PROMOTE_ATTRIBUTE = 'promote';

/** A deployment waiting at an approval step (`.waitForTaskToken`). */
export const PendingApprovalSchema = z.lazy(() => z.object({
  /** Step Functions task token: SendTaskSuccess approves, SendTaskFailure rejects. */
  token: z.string().check(z.minLength(1)),
  executionArn: z.string().check(z.minLength(1)),
  /** Index of the approval step in `deployment.steps`. */
  step: z.number().check(z.int(), z.gte(0)),
  requestedAt: z.string(),
  /** When the approval counts as rejected. */
  timeoutAt: z.string(),
}));
export type PendingApproval = z.output<typeof PendingApprovalSchema>;

/** A request to end the bake of the current step now (`deployer promote`). */
export const PromoteRequestSchema = z.lazy(() => z.object({
  executionArn: z.string().check(z.minLength(1)),
  requestedAt: z.string(),
  requestedBy: z.string(),
}));
export type PromoteRequest = z.output<typeof PromoteRequestSchema>;

/** Error name of a rejected approval (SendTaskFailure), caught by the state machine like any failure. */
export const APPROVAL_REJECTED = 'ApprovalRejected';

/**
 * Where a running deployment is (`$.progress` in its state, readable from
 * the execution history): the step index into `deployment.steps` (-1 before
 * the first), the weight on the new side, and a phase for people.
 */
export const ProgressSchema = z.lazy(() => z.object({
  step: z.number().check(z.int()),
  weight: z.number().check(z.int(), z.gte(0), z.lte(100)),
  phase: z.string(),
}));
export type Progress = z.output<typeof ProgressSchema>;

/**
 * The state machine of each strategy, as the stack hands it to the triggers:
 * JSON `{"rolling": arn, "canary": arn, "blue-green": arn}` in an environment
 * variable (ENV.stateMachines for the ECS ones, ENV.vmStateMachines for VMs).
 */
import * as z from 'zod/mini';
import { requiredEnv } from './env.ts';
import { issueMessage } from './format-issues.ts';
import { STRATEGIES, type Strategy } from './strategies.ts';

const StateMachinesSchema = z.partialRecord(z.enum(STRATEGIES), z.string().check(z.minLength(1)));

/** The state machine that deploys with `strategy`, from the environment `variable` (the stack sets them all). */
export function stateMachineOfStrategy(variable: string, strategy: Strategy): string {
  const arn = StateMachinesSchema.parse(JSON.parse(requiredEnv(variable)), { error: issueMessage })[strategy];
  if (arn === undefined) throw new Error(`${variable} has no state machine for ${strategy}: the function is misconfigured`);
  return arn;
}

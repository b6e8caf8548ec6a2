/**
 * ExecutionEnded: the safety net for executions that end without running
 * their own clean-up: stopped from the console (ABORTED), past the state
 * machine timeout (TIMED_OUT), or FAILED outside a Catch. It releases the
 * service lock if that execution still holds it, and records the end in the
 * history unless the state machine already recorded a final status.
 */
import * as z from 'zod';
import { createHandler, parseEvent } from './shared/handler.ts';
import { recordExecutionEnd } from './shared/execution-end.ts';
import { isUncleanEnd } from './shared/execution-status.ts';
import { releaseLock } from './shared/lock.ts';
import { logger } from './shared/logger.ts';

export const ExecutionStatusEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED', 'RUNNING', 'PENDING_REDRIVE']),
    startDate: z.number(),
    stopDate: z.number().nullable().optional(),
    input: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    cause: z.string().nullable().optional(),
  }),
});

const InputSchema = z.object({ service: z.string().min(1) });

export const handler = createHandler(ExecutionStatusEventSchema, async function executionEnded({ detail }) {
  if (!isUncleanEnd(detail.status)) {
    return { released: false, recorded: false };
  }
  if (detail.status === 'FAILED' && detail.error === 'InvalidInput') {
    // Rejected before any lock was taken or anything recorded.
    return { released: false, recorded: false };
  }
  let service: string;
  try {
    service = parseEvent(InputSchema, JSON.parse(detail.input ?? '{}'), 'execution input').service;
  } catch (error) {
    // The input was rejected before any lock or history existed.
    logger.info('execution without a service ended; nothing to clean up', { executionArn: detail.executionArn, error: error as Error });
    return { released: false, recorded: false };
  }
  const released = await releaseLock(service, detail.executionArn);
  const recorded = await recordExecutionEnd(
    {
      service,
      executionArn: detail.executionArn,
      name: detail.name,
      status: detail.status,
      startDate: detail.startDate,
      stopDate: detail.stopDate,
      error: detail.error,
      cause: detail.cause,
    },
    released ? 'its lock was released' : undefined,
  );
  logger.info('execution end handled', { serviceName: service, status: detail.status, released, recorded });
  return { released, recorded };
});

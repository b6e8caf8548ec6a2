/**
 * The wrapper every Lambda handler uses: middy with structured logging, and
 * the event validated against the handler's schema before any AWS call.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidInput } from './errors.ts';
import { formatIssues, issueMessage } from './format-issues.ts';
import { logger } from './logger.ts';

/** Validate `event` with `schema`; the error names every bad field. */
export function parseEvent<S extends z.core.$ZodType>(schema: S, event: unknown, what = 'input'): z.output<S> {
  const result = z.safeParse(schema, event, { error: issueMessage });
  if (!result.success) {
    throw new InvalidInput(`invalid ${what}: ${formatIssues(result.error.issues).join('; ')}`);
  }
  return result.data;
}

/** A handler as the Lambda runtime (and the local rehearsal) calls it. */
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * Build a handler: `fn` receives the validated event. Errors are logged with
 * their cause and rethrown unchanged, so Step Functions sees their names.
 */
export function createHandler<S extends z.core.$ZodType, R>(
  schema: S,
  fn: (input: z.output<S>, context: Context) => Promise<R>,
): LambdaHandler<R> & middy.MiddyfiedHandler<unknown, R, Error, Context> {
  const core = async function validatedHandler(event: unknown, context: Context): Promise<R> {
    const input = parseEvent(schema, event);
    try {
      return await fn(input, context);
    } catch (error) {
      logger.error('handler failed', { error: error as Error });
      throw error;
    }
  };
  return middy<unknown, R, Error, Context>().use(injectLambdaContext(logger)).handler(core);
}

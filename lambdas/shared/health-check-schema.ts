/**
 * The HTTP health check's schema, in a module of its own: the deployment
 * (the state machine's input) carries the check, and the handlers that parse
 * it should not build the rest of the config schema at cold start.
 */
import * as z from 'zod';

export const BodyAssertionSchema = z.lazy(() => z
  .strictObject({
    path: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'a dotted path into the JSON body, e.g. "status" or "checks.db.status"')
      .describe('Dotted path into the JSON response body.'),
    equals: z.union([z.string(), z.number(), z.boolean()]).describe('Value the field must equal, e.g. "UP".'),
  })
  .describe('Assertion on the JSON body of the health check response: `<path> == <equals>`.'));

/** The fields of an HTTP health check (`HealthCheckSchema`), for schemas that add their own. */
export const healthCheckFields = {
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).describe('URL to GET at every verification.'),
  expectedStatus: z.number().int().min(100).max(599).default(200).describe('HTTP status the check expects.'),
  body: BodyAssertionSchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(30).default(5).describe('Per-request timeout.'),
  failureThreshold: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(2)
    .describe('Consecutive failed checks that fail the deployment (alarms fail it at once).'),
};

export const HealthCheckSchema = z.lazy(() => z
  .strictObject(healthCheckFields)
  .describe('HTTP check made at every verification while new code serves.'));

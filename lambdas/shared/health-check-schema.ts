/**
 * The HTTP health check's schema, in a module of its own: the deployment
 * (the state machine's input) carries the check, and the handlers that parse
 * it should not build the rest of the config schema at cold start.
 */
import * as z from 'zod/mini';

export const BodyAssertionSchema = z.lazy(() => z
  .strictObject({
    path: z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'a dotted path into the JSON body, e.g. "status" or "checks.db.status"'),
        z.describe('Dotted path into the JSON response body.'),
      ),
    equals: z.union([z.string(), z.number(), z.boolean()]).check(z.describe('Value the field must equal, e.g. "UP".')),
  })
  .check(z.describe('Assertion on the JSON body of the health check response: `<path> == <equals>`.')));

/** The fields of an HTTP health check (`HealthCheckSchema`), for schemas that add their own. */
export const healthCheckFields = {
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).check(z.describe('URL to GET at every verification.')),
  expectedStatus: z._default(z.number().check(z.int(), z.gte(100), z.lte(599)), 200).check(z.describe('HTTP status the check expects.')),
  body: z.optional(BodyAssertionSchema),
  timeoutSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(30)), 5).check(z.describe('Per-request timeout.')),
  failureThreshold: z
    ._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 2)
    .check(z.describe('Consecutive failed checks that fail the deployment (alarms fail it at once).')),
};

export const HealthCheckSchema = z.lazy(() => z
  .strictObject(healthCheckFields)
  .check(z.describe('HTTP check made at every verification while new code serves.')));

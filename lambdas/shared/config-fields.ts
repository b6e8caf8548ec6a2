/**
 * Building blocks of the config schema shared by ECS and VM services: names,
 * ARNs, durations, health checks, verification and traffic steps. Kept apart
 * from `config.ts` (which composes the whole file's schema) so `vm-config.ts`
 * can use them without an import cycle.
 */
import * as z from 'zod/mini';
import { formatDuration, parseDuration } from './duration.ts';

export { BodyAssertionSchema, HealthCheckSchema, healthCheckFields } from './health-check-schema.ts';

/** Names end up in execution names, DynamoDB keys and CloudWatch dimensions. */
export const serviceName = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'use 1-40 lowercase letters, digits or dashes, starting with a letter or digit'));

/** ARN pieces, as regular expression sources: partition, region and account. */
export const PARTITION = 'arn:aws(?:-cn|-us-gov)?';
export const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
export const ACCOUNT = '\\d{12}';
/** An AWS region name such as `eu-west-1` or `us-gov-west-1`. */
export const REGION_NAME = new RegExp(`^${REGION}$`);

/**
 * What is wrong with the partition, service, region or account of an ARN,
 * or undefined when those are right (or it is no ARN at all): a malformed
 * account or region is named as such, not as "not an ARN".
 */
function arnPartsProblem(value: string, service: string): string | undefined {
  const parts = value.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return undefined;
  const [, partition = '', named = '', region = '', account = ''] = parts;
  if (!/^aws(?:-cn|-us-gov)?$/.test(partition)) return `the partition '${partition}' of this ARN is not aws, aws-cn or aws-us-gov`;
  if (named !== service) return `this is an ARN of ${named === '' ? 'no service' : named}, not of ${service}`;
  if (!REGION_NAME.test(region)) return `the region '${region}' of this ARN is not an AWS region such as us-east-1`;
  if (!/^\d{12}$/.test(account)) return `the account '${account}' of this ARN is not a 12-digit account ID`;
  return undefined;
}

/** A string that matches one of `patterns`; otherwise the message says which part of an ARN is wrong, then what is expected. */
export function arnString(service: string, patterns: readonly RegExp[], expected: string, hint?: (value: string) => string | undefined) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      if (patterns.some((pattern) => pattern.test(value))) return;
      const problem = arnPartsProblem(value, service) ?? hint?.(value);
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        message: problem === undefined ? expected : `${problem}; expected ${expected}`,
      });
    }),
    // Checked by the refinement (with a message naming the wrong part); editors get the pattern here.
    z.meta({ pattern: patterns.map((pattern) => pattern.source).join('|') }),
  );
}

const ELB = `${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const HEX16 = '[0-9a-f]{16}';
const ALB_NAME = '[A-Za-z0-9-]{1,32}';

/** An ALB listener or listener rule ARN: where the deployer sets the forward weights. */
export const LISTENER_ARN = new RegExp(`^${ELB}:listener/app/${ALB_NAME}/${HEX16}/${HEX16}$`);
export const LISTENER_RULE_ARN = new RegExp(`^${ELB}:listener-rule/app/${ALB_NAME}/${HEX16}/${HEX16}/${HEX16}$`);
export const TARGET_GROUP_ARN = new RegExp(`^${ELB}:targetgroup/${ALB_NAME}/${HEX16}$`);

/** An ALB listener or listener rule ARN, refused naming the wrong part. */
export const listenerOrRule = arnString(
  'elasticloadbalancing',
  [LISTENER_ARN, LISTENER_RULE_ARN],
  'the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID) or listener rule (…:listener-rule/app/NAME/ID/ID/ID)',
);
/** An ALB listener ARN (not a rule), refused naming the wrong part. */
export const listenerOnly = arnString(
  'elasticloadbalancing',
  [LISTENER_ARN],
  'the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID)',
);
/** A target group ARN, refused naming the wrong part. */
export const targetGroup = arnString(
  'elasticloadbalancing',
  [TARGET_GROUP_ARN],
  'the ARN of a target group (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)',
);

/** A duration: `30s`, `5m`, `2h`, `1h30m`, or a number of seconds; the output is seconds. */
export function duration(max: number) {
  return z.pipe(
    z.union([z.number(), z.string()]),
    // zod/mini's transform context has no addIssue: a problem goes on the payload's issues, as addIssue put it.
    z.transform((value, ctx) => {
      // Text that is no duration reads as NaN, which is no whole number either.
      const seconds = typeof value === 'number' ? value : (parseDuration(value) ?? Number.NaN);
      if (!Number.isInteger(seconds) || seconds < 0) {
        ctx.issues.push({
          // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
          code: 'custom',
          message: 'a duration such as "30s", "5m", "2h" or "1h30m" (or whole seconds)',
          input: value,
        });
        return z.NEVER;
      }
      if (seconds > max) {
        ctx.issues.push({
          // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
          code: 'custom',
          message: `at most ${formatDuration(max)}`,
          input: value,
        });
        return z.NEVER;
      }
      return seconds;
    }),
  );
}

/** A name AWS gives things (alarms): 1-255 characters. */
export const awsName = z.string().check(z.minLength(1), z.maxLength(255));

/** What to do about an alarm that is already in ALARM when the deployment starts. */
export const preexistingAlarms = z
  ._default(z.enum(['report', 'block']), 'report')
  .check(
    z.describe(
      'An alarm already in ALARM when the deployment starts: "report" (default) notes it and lets the deployment proceed, so it can ship the fix; "block" fails the deployment.',
    ),
  );

/** Verification of a deployment without a new-vs-old comparison: the alarm policy. */
export const RollingVerificationSchema = z
  .strictObject({ preexistingAlarms })
  .check(z.describe('How verification treats alarms (rolling deployments have no new-vs-old comparison).'));

export const TrafficVerificationSchema = z
  .strictObject({
    preexistingAlarms,
    maxErrorRateIncrease: z
      ._default(z.number().check(z.gte(0), z.lte(100)), 1)
      .check(z.describe('Percentage points by which the new side\'s 5xx rate may exceed the old side\'s (default 1).')),
    maxLatencyRatio: z
      ._default(z.number().check(z.gte(1), z.lte(100)), 1.5)
      .check(z.describe('Factor by which the new side\'s p99 response time may exceed the old side\'s (default 1.5).')),
    minRequests: z
      ._default(z.number().check(z.int(), z.gte(0), z.lte(1_000_000)), 100)
      .check(z.describe('Requests the new side must have served in a step before its metrics can pass it (default 100).')),
    maxExtraBake: z
      ._default(duration(6 * 3600), 600)
      .check(z.describe('How much longer than its bake a step may wait for minRequests before it fails (default 10m).')),
  })
  .check(z.describe('New-vs-old comparison of ALB target group metrics at every step, and the alarm policy.'));

/** One step of a canary or blue-green deployment, as written. */
const StepSchema = z
  .strictObject({
    weight: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100))).check(z.describe('Percent of traffic on the new side at this step.')),
    bake: z.optional(duration(24 * 3600)).check(z.describe('How long this step is verified before the next (default 0: one verification with enough requests).')),
    approval: z.optional(z.literal(true)).check(z.describe('Wait here until someone approves (deployer approve SERVICE).')),
    timeout: z.optional(duration(24 * 3600)).check(z.describe('For an approval: how long to wait before it counts as rejected (default approvalTimeout).')),
  })
  .check(z.superRefine((step, ctx) => {
    const isWeight = step.weight !== undefined;
    const isApproval = step.approval === true;
    if (isWeight === isApproval) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        message: 'a step is either {weight: 10, bake: 5m} or {approval: true}',
      });
      return;
    }
    if (isWeight && step.timeout !== undefined) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['timeout'],
        message: 'only an approval step has a timeout; use bake for a weight step',
      });
    }
    if (isApproval && step.bake !== undefined) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['bake'],
        message: 'an approval step does not bake; put bake on a weight step',
      });
    }
  }));

/** A step after validation. */
export type Step =
  | { kind: 'weight'; weight: number; bakeSeconds: number }
  | { kind: 'approval'; timeoutSeconds?: number };

function normalizeSteps(steps: z.output<typeof StepSchema>[]): Step[] {
  return steps.map((s): Step => {
    if (s.weight !== undefined) return { kind: 'weight', weight: s.weight, bakeSeconds: s.bake ?? 0 };
    // Stryker disable next-line ConditionalExpression: an absent and an undefined timeoutSeconds read the same (every reader falls back to approvalTimeout with ??, JSON drops undefined); this only keeps undefined keys out
    return s.timeout === undefined ? { kind: 'approval' } : { kind: 'approval', timeoutSeconds: s.timeout };
  });
}

/** Weights rise strictly and the last one is 100; named by step index. */
function checkSteps(steps: z.output<typeof StepSchema>[], ctx: z.core.$RefinementCtx): void {
  let previous = 0;
  let last: { index: number; weight: number } | undefined;
  steps.forEach((step, index) => {
    if (step.weight === undefined) return;
    if (step.weight <= previous) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: [index, 'weight'],
        message: `${step.weight} does not rise above the previous step's ${previous}; weights must rise and end at 100`,
      });
    }
    previous = Math.max(previous, step.weight);
    last = { index, weight: step.weight };
  });
  if (last === undefined) {
    ctx.addIssue({
      // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
      code: 'custom',
      message: 'no weight step: add at least {weight: 100}',
    });
  } else if (last.weight !== 100) {
    ctx.addIssue({
      // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
      code: 'custom',
      path: [last.index, 'weight'],
      message: `the last weight step is ${last.weight}; weights must end at 100`,
    });
  }
}

/** A list of traffic steps: weights rise and end at 100; `defaults` when the field is left out. */
export function stepsSchema(defaults: { weight: number; bake: string }[], what: string) {
  return z
    .prefault(
      z.pipe(z.array(StepSchema).check(z.minLength(1), z.maxLength(20), z.superRefine(checkSteps)), z.transform(normalizeSteps)),
      defaults,
    )
    .check(
      z.describe(
        `${what}, e.g. [{weight: 10, bake: 5m}, {approval: true}, {weight: 100, bake: 5m}]; weights rise and end at 100. Default: ${defaults
          .map((s) => `{weight: ${s.weight}, bake: ${s.bake}}`)
          .join(', ')}.`,
      ),
    );
}

export const DEFAULT_CANARY_STEPS = [
  { weight: 10, bake: '5m' },
  { weight: 50, bake: '5m' },
  { weight: 100, bake: '5m' },
];
export const DEFAULT_BLUE_GREEN_STEPS = [{ weight: 100, bake: '5m' }];

/**
 * The deployer's configuration file: which services exist, how each one is
 * deployed and verified. One schema validates it everywhere (CDK synth, the
 * CLI, the Lambdas). Reading the YAML file and exporting the JSON Schema live
 * in `config-file.ts`, which the Lambdas do not bundle.
 *
 * Every ECS service names its `strategy`; the fields a strategy needs are
 * checked for that strategy only (a discriminated union), so a misplaced
 * field is named as unknown instead of silently ignored.
 */
import * as z from 'zod';
import { intervalWithinBudget, MAX_HISTORY_EVENTS_BUDGET, MAX_WORST_CASE_SECONDS, worstCase } from './budget.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { issueMessage, problemsOf } from './format-issues.ts';

/** Names end up in execution names, DynamoDB keys and CloudWatch dimensions. */
const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'use 1-40 lowercase letters, digits or dashes, starting with a letter or digit');

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_HOST = /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
/** Registry hosts a repository path could start with: a dotted host name, or one with a port, or localhost. */
const REGISTRY_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|io|aws|dev|net|org|cn)|localhost)(?::\d+)?$/i;

/**
 * Why `value` is not a repository name, in words that say what to write
 * instead; undefined when it is one. The ECR push rule matches repository
 * names exactly, so a registry host or a tag here would never match a push.
 */
export function repositoryNameProblem(value: string): string | undefined {
  const [first = '', ...rest] = value.split('/');
  const host = ECR_HOST.exec(first)?.groups;
  const name = rest.join('/').replace(/[:@].*$/, '');
  if (host !== undefined && name !== '') {
    return (
      `a repository name without its registry: write repository: ${name}` +
      ` (an image of account ${host.account ?? '?'} in ${host.region ?? '?'} needs registry: { accountId: "${host.account ?? '?'}", region: ${host.region ?? '?'} } when that is not the deployer's own account and region)`
    );
  }
  if (rest.length > 0 && REGISTRY_HOST.test(first)) {
    return `a repository name of the deployer's ECR registry, not an image of ${first}: push the image to ECR and write its repository name, e.g. repository: ${name.split('/').at(-1) ?? 'web'}`;
  }
  if (/[:@]/.test(value)) {
    const bare = value.replace(/[:@].*$/, '');
    return `a repository name without a tag or digest: write repository: ${bare === '' ? 'web' : bare}, and choose the tags that deploy with tagPattern`;
  }
  if (!REPOSITORY_NAME.test(value)) return 'an ECR repository name such as "web" or "team/web": lowercase letters, digits, ".", "_", "-" and "/"';
  return undefined;
}

/** ECR repository names (without registry): https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html */
export const repositoryName = z
  .string()
  .min(2)
  .max(256)
  .superRefine((value, ctx) => {
    const problem = repositoryNameProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  // The pattern is checked by the refinement (with a message saying what to write); editors get it here.
  .meta({ pattern: REPOSITORY_NAME.source });

/** ECS cluster and service names: up to 255 letters, digits, hyphens and underscores. */
const ecsName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'an ECS name: up to 255 letters, digits, "-" or "_" (a name, not an ARN)');

const PARTITION = 'arn:aws(?:-cn|-us-gov)?';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
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
function arnString(service: string, patterns: readonly RegExp[], expected: string, hint?: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    if (patterns.some((pattern) => pattern.test(value))) return;
    const problem = arnPartsProblem(value, service) ?? hint?.(value);
    ctx.addIssue({ code: 'custom', message: problem === undefined ? expected : `${problem}; expected ${expected}` });
  })
    // Checked by the refinement (with a message naming the wrong part); editors get the pattern here.
    .meta({ pattern: patterns.map((pattern) => pattern.source).join('|') });
}

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = new RegExp(`^${PARTITION}:ecs:${REGION}:${ACCOUNT}:cluster/[A-Za-z0-9_-]{1,255}$`);

/** A cluster by name, or by ARN `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`. */
const clusterRef = arnString(
  'ecs',
  [CLUSTER_NAME, CLUSTER_ARN],
  'an ECS cluster name such as "prod", or a cluster ARN arn:aws:ecs:REGION:ACCOUNT:cluster/NAME',
  (value) => {
    const service = /:service\/(?<cluster>[^/]+)\/(?<service>[^/]+)$/.exec(value)?.groups;
    return service === undefined
      ? undefined
      : `this is the ARN of an ECS service: write cluster: ${service.cluster ?? '?'} and service: ${service.service ?? '?'}`;
  },
);

const ELB = `${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const HEX16 = '[0-9a-f]{16}';
const ALB_NAME = '[A-Za-z0-9-]{1,32}';

/** An ALB listener or listener rule ARN: where the deployer sets the forward weights. */
export const LISTENER_ARN = new RegExp(`^${ELB}:listener/app/${ALB_NAME}/${HEX16}/${HEX16}$`);
export const LISTENER_RULE_ARN = new RegExp(`^${ELB}:listener-rule/app/${ALB_NAME}/${HEX16}/${HEX16}/${HEX16}$`);
export const TARGET_GROUP_ARN = new RegExp(`^${ELB}:targetgroup/${ALB_NAME}/${HEX16}$`);

const listenerOrRule = arnString(
  'elasticloadbalancing',
  [LISTENER_ARN, LISTENER_RULE_ARN],
  'the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID) or listener rule (…:listener-rule/app/NAME/ID/ID/ID)',
);
const listenerOnly = arnString(
  'elasticloadbalancing',
  [LISTENER_ARN],
  'the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID)',
);
const targetGroup = arnString(
  'elasticloadbalancing',
  [TARGET_GROUP_ARN],
  'the ARN of a target group (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)',
);

/**
 * Tag globs as the trigger matches them: tag characters with `*` and `?`
 * wildcards. Anything else (spaces, slashes, brackets) could never match an
 * ECR tag, and a push would silently deploy nothing; nor could a pattern
 * that starts with "." or "-" (a tag starts with a letter, digit or "_").
 */
const tagPattern = z
  .string()
  .regex(
    /^[A-Za-z0-9_*?][A-Za-z0-9_.*?-]{0,127}$/,
    'a glob of image tags: letters, digits, ".", "_", "-" and the wildcards * and ?, not starting with "." or "-" (e.g. "v*" or "release-*")',
  )
  .describe('Glob of the image tags that deploy on push, e.g. "v*" (other tags are ignored; "*" deploys every push, latest included).');

/**
 * The ECR registry a service's images come from when it is not the
 * deployer's own (the stack's account and region). Without it, an image of
 * another account or region is refused; with it, images are looked up there
 * and only there.
 */
export const RegistrySchema = z
  .strictObject({
    accountId: z
      .string({
        // YAML reads an unquoted 12-digit number as a number, and drops leading zeros.
        error: (issue) => (issue.input === undefined ? undefined : 'the 12-digit account ID in quotes, e.g. accountId: "111122223333"'),
      })
      .regex(/^\d{12}$/, 'a 12-digit account ID in quotes, e.g. accountId: "111122223333"')
      .describe('Account that owns the registry (in quotes: "111122223333").'),
    region: z
      .string()
      .regex(REGION_NAME, 'an AWS region such as "eu-west-1"')
      .describe('Region of the registry, e.g. eu-west-1.'),
  })
  .describe(
    "ECR registry of this service's images when it is not the deployer's own account and region. Its repository policy must let the deployer's ValidateInput role call ecr:DescribeImages, and the service's task execution role pull the images.",
  );
export type RegistryConfig = z.output<typeof RegistrySchema>;

/** A duration: `30s`, `5m`, `2h`, `1h30m`, or a number of seconds; the output is seconds. */
function duration(max: number) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const seconds = typeof value === 'number' ? value : parseDuration(value);
      if (seconds === undefined || !Number.isInteger(seconds) || seconds < 0) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as "30s", "5m", "2h" or "1h30m" (or whole seconds)' });
        return z.NEVER;
      }
      if (seconds > max) {
        ctx.addIssue({ code: 'custom', message: `at most ${formatDuration(max)}` });
        return z.NEVER;
      }
      return seconds;
    });
}

const awsName = z.string().min(1).max(255);

export const BodyAssertionSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'a dotted path into the JSON body, e.g. "status" or "checks.db.status"')
      .describe('Dotted path into the JSON response body.'),
    equals: z.union([z.string(), z.number(), z.boolean()]).describe('Value the field must equal, e.g. "UP".'),
  })
  .describe('Assertion on the JSON body of the health check response: `<path> == <equals>`.');

const healthCheckFields = {
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

export const HealthCheckSchema = z
  .strictObject(healthCheckFields)
  .describe('HTTP check made at every verification while new code serves.');

const BlueGreenHealthCheckSchema = z
  .strictObject({
    ...healthCheckFields,
    testUrl: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .optional()
      .describe('URL that reaches the idle colour through the test listener: checked before any traffic moves.'),
  })
  .describe('HTTP check: `url` while traffic shifts; `testUrl` (through the test listener) on the idle colour first.');

/** What to do about an alarm that is already in ALARM when the deployment starts. */
const preexistingAlarms = z
  .enum(['report', 'block'])
  .default('report')
  .describe(
    'An alarm already in ALARM when the deployment starts: "report" (default) notes it and lets the deployment proceed, so it can ship the fix; "block" fails the deployment.',
  );

const RollingVerificationSchema = z
  .strictObject({ preexistingAlarms })
  .describe('How verification treats alarms (rolling deployments have no new-vs-old comparison).');

export const TrafficVerificationSchema = z
  .strictObject({
    preexistingAlarms,
    maxErrorRateIncrease: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe('Percentage points by which the new side\'s 5xx rate may exceed the old side\'s (default 1).'),
    maxLatencyRatio: z
      .number()
      .min(1)
      .max(100)
      .default(1.5)
      .describe('Factor by which the new side\'s p99 response time may exceed the old side\'s (default 1.5).'),
    minRequests: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(100)
      .describe('Requests the new side must have served in a step before its metrics can pass it (default 100).'),
    maxExtraBake: duration(6 * 3600)
      .default(600)
      .describe('How much longer than its bake a step may wait for minRequests before it fails (default 10m).'),
  })
  .describe('New-vs-old comparison of ALB target group metrics at every step, and the alarm policy.');

/** One step of a canary or blue-green deployment, as written. */
const StepSchema = z
  .strictObject({
    weight: z.number().int().min(1).max(100).optional().describe('Percent of traffic on the new side at this step.'),
    bake: duration(24 * 3600).optional().describe('How long this step is verified before the next (default 0: one verification with enough requests).'),
    approval: z.literal(true).optional().describe('Wait here until someone approves (deployer approve SERVICE).'),
    timeout: duration(24 * 3600).optional().describe('For an approval: how long to wait before it counts as rejected (default approvalTimeout).'),
  })
  .superRefine((step, ctx) => {
    const isWeight = step.weight !== undefined;
    const isApproval = step.approval === true;
    if (isWeight === isApproval) {
      ctx.addIssue({
        code: 'custom',
        message: 'a step is either {weight: 10, bake: 5m} or {approval: true}',
      });
      return;
    }
    if (isWeight && step.timeout !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'only an approval step has a timeout; use bake for a weight step' });
    }
    if (isApproval && step.bake !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bake'], message: 'an approval step does not bake; put bake on a weight step' });
    }
  });

/** A step after validation. */
export type Step =
  | { kind: 'weight'; weight: number; bakeSeconds: number }
  | { kind: 'approval'; timeoutSeconds?: number };

function normalizeSteps(steps: z.output<typeof StepSchema>[]): Step[] {
  return steps.map((s): Step => {
    if (s.weight !== undefined) return { kind: 'weight', weight: s.weight, bakeSeconds: s.bake ?? 0 };
    return s.timeout === undefined ? { kind: 'approval' } : { kind: 'approval', timeoutSeconds: s.timeout };
  });
}

/** Weights rise strictly and the last one is 100; named by step index. */
function checkSteps(steps: z.output<typeof StepSchema>[], ctx: z.RefinementCtx): void {
  let previous = 0;
  let last: number | undefined;
  steps.forEach((step, index) => {
    if (step.weight === undefined) return;
    if (step.weight <= previous) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'weight'],
        message: `${step.weight} does not rise above the previous step's ${previous}; weights must rise and end at 100`,
      });
    }
    previous = Math.max(previous, step.weight);
    last = index;
  });
  if (last === undefined) {
    ctx.addIssue({ code: 'custom', message: 'no weight step: add at least {weight: 100}' });
  } else if (steps[last]?.weight !== 100) {
    ctx.addIssue({
      code: 'custom',
      path: [last, 'weight'],
      message: `the last weight step is ${steps[last]?.weight ?? '?'}; weights must end at 100`,
    });
  }
}

function stepsSchema(defaults: z.input<typeof StepSchema>[], what: string) {
  return z
    .array(StepSchema)
    .min(1)
    .max(20)
    .superRefine(checkSteps)
    .transform(normalizeSteps)
    .prefault(defaults)
    .describe(
      `${what}, e.g. [{weight: 10, bake: 5m}, {approval: true}, {weight: 100, bake: 5m}]; weights rise and end at 100. Default: ${defaults
        .map((s) => `{weight: ${s.weight ?? '?'}, bake: ${String(s.bake ?? 0)}}`)
        .join(', ')}.`,
    );
}

export const DEFAULT_CANARY_STEPS = [
  { weight: 10, bake: '5m' },
  { weight: 50, bake: '5m' },
  { weight: 100, bake: '5m' },
];
export const DEFAULT_BLUE_GREEN_STEPS = [{ weight: 100, bake: '5m' }];

/** Fields every ECS strategy has. */
const ecsCommon = {
  name: serviceName.describe('Name of the service in the deployer (used by the CLI, history and execution names).'),
  cluster: clusterRef.describe('ECS cluster name or ARN.'),
  container: ecsName.describe('Container, in the task definition, whose image is replaced.'),
  repository: repositoryName.describe('ECR repository name (no registry, no tag) whose pushes deploy this service, e.g. "web" or "team/web".'),
  registry: RegistrySchema.optional(),
  tagPattern,
  alarms: z
    .array(awsName)
    .max(100)
    .default([])
    .describe('CloudWatch alarm names; one that goes into ALARM while new code serves fails the deployment.'),
  verifyIntervalSeconds: z.number().int().min(10).max(3600).default(30).describe('Time between two verifications.'),
  deploymentTimeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(21_600)
    .default(1800)
    .describe('How long ECS may take to finish one rollout (or scaling) before the deployment rolls back.'),
};

/** Fields of the strategies that move traffic on an ALB. */
const trafficCommon = {
  verification: TrafficVerificationSchema.prefault({}),
  approvalTimeout: duration(24 * 3600)
    .default(4 * 3600)
    .describe('How long an approval step waits before it counts as rejected (default 4h).'),
};

export const RollingServiceSchema = z
  .strictObject({
    ...ecsCommon,
    strategy: z.literal('rolling'),
    service: ecsName.describe('ECS service name.'),
    healthCheck: HealthCheckSchema.optional(),
    verification: RollingVerificationSchema.prefault({}),
    bakeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(300)
      .describe('How long the new revision is watched (alarms, health check) after the rollout before it counts as good.'),
  })
  .describe('Rolling update of one ECS service (ECS replaces the tasks, with the circuit breaker on).');

export const CanaryServiceSchema = z
  .strictObject({
    ...ecsCommon,
    ...trafficCommon,
    strategy: z.literal('canary'),
    service: ecsName.describe('The primary ECS service (it serves the traffic the canary does not).'),
    healthCheck: HealthCheckSchema.optional(),
    loadBalancer: z
      .strictObject({
        listener: listenerOrRule.describe('Listener (default action) or listener rule whose forward weights the deployer sets.'),
        targetGroup: targetGroup.describe('Target group of the primary service.'),
        canaryTargetGroup: targetGroup.describe('Target group the canary tasks are registered in.'),
      })
      .refine((lb) => lb.targetGroup !== lb.canaryTargetGroup, {
        path: ['canaryTargetGroup'],
        message: 'must differ from targetGroup: the canary needs its own target group',
      })
      .describe('The ALB listener and target groups, as ARNs: { listener, targetGroup, canaryTargetGroup }.'),
    canaryService: ecsName
      .optional()
      .describe('An ECS service you own for the canary; by default the deployer creates "<service>-canary" for each deployment and deletes it after.'),
    steps: stepsSchema(DEFAULT_CANARY_STEPS, 'Traffic steps to the canary'),
  })
  .describe('Canary: the new revision runs as a canary service taking a growing share of traffic, then the primary is updated.');

const colour = (which: string) =>
  z
    .strictObject({
      service: ecsName.describe(`ECS service of the ${which} colour.`),
      targetGroup: targetGroup.describe(`Target group of the ${which} colour.`),
    })
    .describe(`The ${which} colour: { service, targetGroup }.`);

export const BlueGreenServiceSchema = z
  .strictObject({
    ...ecsCommon,
    ...trafficCommon,
    strategy: z.literal('blue-green'),
    blue: colour('blue'),
    green: colour('green'),
    healthCheck: BlueGreenHealthCheckSchema.optional(),
    loadBalancer: z
      .strictObject({
        listener: listenerOrRule.describe('Listener (default action) or listener rule that serves production traffic.'),
        testListener: listenerOnly.optional().describe('Listener that forwards to the idle colour, for checks before any traffic moves.'),
      })
      .describe('The ALB listener, and optionally a test listener, as ARNs: { listener, testListener }.'),
    keepWarm: duration(24 * 3600)
      .default(900)
      .describe('How long the old colour keeps running after the switch, verified, for an instant rollback (default 15m).'),
    steps: stepsSchema(DEFAULT_BLUE_GREEN_STEPS, 'Traffic steps to the new colour'),
  })
  .superRefine((svc, ctx) => {
    if (svc.blue.service === svc.green.service) {
      ctx.addIssue({ code: 'custom', path: ['green', 'service'], message: 'must differ from blue.service' });
    }
    if (svc.blue.targetGroup === svc.green.targetGroup) {
      ctx.addIssue({ code: 'custom', path: ['green', 'targetGroup'], message: 'must differ from blue.targetGroup' });
    }
    if (svc.loadBalancer.testListener !== undefined && svc.healthCheck?.testUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['healthCheck', 'testUrl'],
        message: 'required with loadBalancer.testListener: the URL that reaches the idle colour through the test listener',
      });
    }
  })
  .describe('Blue-green: the idle colour gets the new revision at full size, traffic moves to it by steps, the old colour stays warm.');

export const EcsServiceSchema = z.discriminatedUnion('strategy', [
  RollingServiceSchema,
  CanaryServiceSchema,
  BlueGreenServiceSchema,
]);

export const STRATEGIES = ['rolling', 'canary', 'blue-green'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The ECS services a config entry drives, as `cluster/service` (a blue-green entry drives two). */
export function ecsServicesOf(svc: z.output<typeof EcsServiceSchema>): string[] {
  const cluster = svc.cluster.slice(svc.cluster.lastIndexOf('/') + 1);
  if (svc.strategy === 'blue-green') return [`${cluster}/${svc.blue.service}`, `${cluster}/${svc.green.service}`];
  if (svc.strategy === 'canary' && svc.canaryService !== undefined) {
    return [`${cluster}/${svc.service}`, `${cluster}/${svc.canaryService}`];
  }
  return [`${cluster}/${svc.service}`];
}

/**
 * The `ecs:` list. `ecs:` with nothing under it (every entry deleted) reads
 * as null, and gets the same "no services" answer as a file without `ecs:`.
 */
export const EcsServiceListSchema = z.array(EcsServiceSchema).nullable();

export const DeployerConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    notifications: z
      .strictObject({
        emails: z.array(z.email()).default([]).describe('Addresses subscribed to the notification topic.'),
      })
      .optional(),
    ecs: EcsServiceListSchema.transform((services) => services ?? [])
      .default([])
      .describe('ECS services.'),
  })
  .superRefine((config, ctx) => {
    if (config.ecs.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ecs'], message: 'no services: describe at least one service under ecs:' });
    }
    const names = new Map<string, number>();
    const ecsServices = new Map<string, number>();
    config.ecs.forEach((svc, index) => {
      const first = names.get(svc.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['ecs', index, 'name'],
          message: `duplicate service name '${svc.name}' (already used by ecs[${first}]); names must be unique`,
        });
      } else names.set(svc.name, index);
      const worst = worstCase(svc);
      if (worst.seconds > MAX_WORST_CASE_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['ecs', index],
          message: `a deployment of ${svc.name} could take up to ${formatDuration(worst.seconds)} with its rollback (rollouts at deploymentTimeoutSeconds, every bake, approval timeout and keepWarm); at most ${formatDuration(MAX_WORST_CASE_SECONDS)}: shorten them`,
        });
      } else if (worst.events > MAX_HISTORY_EVENTS_BUDGET) {
        const largest = [...worst.parts].sort((a, b) => b.events - a.events).slice(0, 2);
        const interval = intervalWithinBudget(svc);
        ctx.addIssue({
          code: 'custom',
          path: ['ecs', index, 'verifyIntervalSeconds'],
          message:
            `a deployment of ${svc.name} could write up to ${worst.events} Step Functions history events, mostly polling every ${svc.verifyIntervalSeconds}s for ` +
            `${largest.map((p) => `${p.what} (${p.events})`).join(' and ')}; an execution ends at 25,000 and the deployer keeps ${MAX_HISTORY_EVENTS_BUDGET} for itself: ` +
            (interval === undefined ? 'shorten the bakes and timeouts' : `raise verifyIntervalSeconds to at least ${interval}, or shorten them`),
        });
      }
      for (const target of ecsServicesOf(svc)) {
        const owner = ecsServices.get(target);
        if (owner !== undefined && owner !== index) {
          ctx.addIssue({
            code: 'custom',
            path: ['ecs', index],
            message: `ECS service ${target} is already deployed by ecs[${owner}] (${config.ecs[owner]?.name ?? '?'}); two entries would deploy it at once`,
          });
        } else ecsServices.set(target, index);
      }
    });
  });

export type DeployerConfig = z.output<typeof DeployerConfigSchema>;
export type EcsServiceConfig = z.output<typeof EcsServiceSchema>;
export type RollingServiceConfig = z.output<typeof RollingServiceSchema>;
export type CanaryServiceConfig = z.output<typeof CanaryServiceSchema>;
export type BlueGreenServiceConfig = z.output<typeof BlueGreenServiceSchema>;
export type HealthCheckConfig = z.output<typeof HealthCheckSchema>;
export type TrafficVerificationConfig = z.output<typeof TrafficVerificationSchema>;

/** Where a problem is in the config file: 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds where a field is written in the file the config was read from: the
 * value at `path`, the key `key` in the mapping at `path` (an unknown field),
 * or the nearest enclosing entry when the field is missing.
 */
export type LocateField = (path: readonly PropertyKey[], key?: string) => SourcePosition | undefined;

/** One problem of a config: the line people read, and where it is in the file when the config came from one. */
export interface ConfigProblem {
  /** `ecs[0].cluster: required (ECS cluster name or ARN)`: the same wherever the config is checked. */
  readonly text: string;
  readonly position?: SourcePosition;
}

/** `FILE:LINE:COLUMN: problem`, or `FILE: problem` without a position. */
export function problemLine(source: string, problem: ConfigProblem): string {
  const at = problem.position === undefined ? '' : `:${problem.position.line}:${problem.position.column}`;
  return `${source}${at}: ${problem.text}`;
}

/**
 * A config that does not validate. Its message has one line per problem,
 * `FILE:LINE:COLUMN: FIELD: what to write` (editors and terminals open the
 * file there); `problems` are the same lines without file and position, as
 * `deployer validate`, `cdk synth` and the Lambdas all report them.
 */
export class ConfigError extends Error {
  public override readonly name = 'ConfigError';
  public readonly located: readonly ConfigProblem[];

  public constructor(
    public readonly source: string,
    problems: readonly (ConfigProblem | string)[],
  ) {
    const located = problems
      .map((p) => (typeof p === 'string' ? { text: p } : p))
      // In file order when positions are known (stable: unplaced problems keep their order, last).
      .map((p, index) => ({ p, index }))
      .sort((a, b) => compare(a.p.position, b.p.position) || a.index - b.index)
      .map(({ p }) => p);
    const count = `${located.length} problem${located.length === 1 ? '' : 's'}`;
    super(`${source} is not a valid deployer config (${count}):\n${located.map((p) => `  ${problemLine(source, p)}`).join('\n')}`);
    this.located = located;
  }

  /** One line per problem, naming the field and what to write (no file, no position). */
  public get problems(): string[] {
    return this.located.map((p) => p.text);
  }
}

function compare(a: SourcePosition | undefined, b: SourcePosition | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  return a.line - b.line || a.column - b.column;
}

/** The document each validated config was parsed from. */
const documents = new WeakMap<DeployerConfig, string>();

/**
 * Validate an already-parsed config object. `locate` (given when the config
 * was read from a file) puts the line and column of each problem in the error.
 */
export function parseConfig(raw: unknown, source = 'config', locate?: LocateField): DeployerConfig {
  const result = DeployerConfigSchema.safeParse(raw, { error: issueMessage });
  if (!result.success) {
    const problems = problemsOf(result.error.issues).map((problem): ConfigProblem => {
      const position = locate?.(problem.path, problem.key);
      return position === undefined ? { text: problem.text } : { text: problem.text, position };
    });
    throw new ConfigError(source, problems);
  }
  documents.set(result.data, JSON.stringify(raw));
  return result.data;
}

/**
 * The document (as JSON text) a validated config was parsed from. This, not
 * the validated result, is what the Lambdas are built with: they validate it
 * again with the same schema, so synth, the CLI and the Lambdas accept and
 * refuse exactly the same configs (defaults and durations are applied once,
 * by the schema, wherever it runs).
 */
export function configDocument(config: DeployerConfig): string {
  const document = documents.get(config);
  if (document === undefined) throw new Error('this config was not made by parseConfig: its document is unknown');
  return document;
}

/** Find a service by its deployer name. */
export function findService(config: DeployerConfig, name: string): EcsServiceConfig | undefined {
  return config.ecs.find((s) => s.name === name);
}

/**
 * The deployer's configuration file: which services exist, how each one is
 * deployed and verified. One schema validates it everywhere (CDK synth, the
 * CLI, the Lambdas). Reading the YAML file and exporting the JSON Schema live
 * in `config-file.ts`, which the Lambdas do not bundle.
 *
 * Services are listed under `ecs:` and `vm:` (`vm-config.ts`); names are
 * unique across both.
 *
 * Every ECS service names its `strategy`; the fields a strategy needs are
 * checked for that strategy only (a discriminated union), so a misplaced
 * field is named as unknown instead of silently ignored.
 */
import * as z from 'zod/mini';
import { intervalWithinBudget, MAX_HISTORY_EVENTS_BUDGET, MAX_WORST_CASE_SECONDS, worstCase } from './budget.ts';
import { formatDuration } from './duration.ts';
import { issueMessage, problemsOf } from './format-issues.ts';
import { VmServiceListSchema, vmPlacesOf, type VmServiceConfig } from './vm-config.ts';
import {
  ACCOUNT,
  arnString,
  awsName,
  DEFAULT_BLUE_GREEN_STEPS,
  DEFAULT_CANARY_STEPS,
  duration,
  HealthCheckSchema,
  healthCheckFields,
  listenerOnly,
  listenerOrRule,
  PARTITION,
  REGION,
  REGION_NAME,
  RollingVerificationSchema,
  serviceName,
  stepsSchema,
  targetGroup,
  TrafficVerificationSchema,
} from './config-fields.ts';

export {
  BodyAssertionSchema,
  DEFAULT_BLUE_GREEN_STEPS,
  DEFAULT_CANARY_STEPS,
  HealthCheckSchema,
  LISTENER_ARN,
  LISTENER_RULE_ARN,
  REGION_NAME,
  TARGET_GROUP_ARN,
  TrafficVerificationSchema,
  type Step,
} from './config-fields.ts';

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
export const repositoryName = z.string().check(
  z.minLength(2),
  z.maxLength(256),
  z.superRefine((value, ctx) => {
    const problem = repositoryNameProblem(value);
    if (problem !== undefined) ctx.addIssue({
      // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
      code: 'custom',
      message: problem,
    });
  }),
  // The pattern is checked by the refinement (with a message saying what to write); editors get it here.
  z.meta({ pattern: REPOSITORY_NAME.source }),
);

/** ECS cluster and service names: up to 255 letters, digits, hyphens and underscores. */
const ecsName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'an ECS name: up to 255 letters, digits, "-" or "_" (a name, not an ARN)'));

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

/**
 * Tag globs as the trigger matches them: tag characters with `*` and `?`
 * wildcards. Anything else (spaces, slashes, brackets) could never match an
 * ECR tag, and a push would silently deploy nothing; nor could a pattern
 * that starts with "." or "-" (a tag starts with a letter, digit or "_").
 */
const tagPattern = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_*?][A-Za-z0-9_.*?-]{0,127}$/,
      'a glob of image tags: letters, digits, ".", "_", "-" and the wildcards * and ?, not starting with "." or "-" (e.g. "v*" or "release-*")',
    ),
    z.describe('Glob of the image tags that deploy on push, e.g. "v*" (other tags are ignored; "*" deploys every push, latest included).'),
  );

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
      .check(
        z.regex(/^\d{12}$/, 'a 12-digit account ID in quotes, e.g. accountId: "111122223333"'),
        z.describe('Account that owns the registry (in quotes: "111122223333").'),
      ),
    region: z
      .string()
      .check(z.regex(REGION_NAME, 'an AWS region such as "eu-west-1"'), z.describe('Region of the registry, e.g. eu-west-1.')),
  })
  .check(
    z.describe(
      "ECR registry of this service's images when it is not the deployer's own account and region. Its repository policy must let the deployer's ValidateInput role call ecr:DescribeImages, and the service's task execution role pull the images.",
    ),
  );
export type RegistryConfig = z.output<typeof RegistrySchema>;

const BlueGreenHealthCheckSchema = z
  .strictObject({
    ...healthCheckFields,
    testUrl: z
      .optional(z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }))
      .check(z.describe('URL that reaches the idle colour through the test listener: checked before any traffic moves.')),
  })
  .check(z.describe('HTTP check: `url` while traffic shifts; `testUrl` (through the test listener) on the idle colour first.'));

/** Fields every ECS strategy has. */
const ecsCommon = {
  name: serviceName.check(z.describe('Name of the service in the deployer (used by the CLI, history and execution names).')),
  cluster: clusterRef.check(z.describe('ECS cluster name or ARN.')),
  container: ecsName.check(z.describe('Container, in the task definition, whose image is replaced.')),
  repository: repositoryName.check(z.describe('ECR repository name (no registry, no tag) whose pushes deploy this service, e.g. "web" or "team/web".')),
  registry: z.optional(RegistrySchema),
  tagPattern,
  alarms: z
    ._default(z.array(awsName).check(z.maxLength(100)), [])
    .check(z.describe('CloudWatch alarm names; one that goes into ALARM while new code serves fails the deployment.')),
  verifyIntervalSeconds: z._default(z.number().check(z.int(), z.gte(10), z.lte(3600)), 30).check(z.describe('Time between two verifications.')),
  taskRoles: z
    .optional(
      z
        .array(
          z
            .string()
            .check(
              z.regex(
                /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
                'an IAM role name of the deployer\'s account, with its path if it has one, e.g. web-task-role or service-role/web-task-role (not an ARN)',
              ),
            ),
        )
        .check(z.minLength(1), z.maxLength(10)),
    )
    .check(
      z.describe(
        "Names of the IAM roles the service's task definitions use (task role and execution role). When every ECS service lists them, the deployer may pass only these roles to ECS (iam:PassRole); otherwise any role of its account, to ECS tasks only.",
      ),
    ),
  deploymentTimeoutSeconds: z
    ._default(z.number().check(z.int(), z.gte(60), z.lte(21_600)), 1800)
    .check(z.describe('How long ECS may take to finish one rollout (or scaling) before the deployment rolls back.')),
};

/** What editors show on hover over `strategy:`: the choices, since each one is a schema of its own. */
const STRATEGY_TEXT = 'How the service is deployed: rolling, canary or blue-green (each has its own fields).';

/** Fields of the strategies that move traffic on an ALB. */
const trafficCommon = {
  verification: z.prefault(TrafficVerificationSchema, {}),
  approvalTimeout: z
    ._default(duration(24 * 3600), 4 * 3600)
    .check(z.describe('How long an approval step waits before it counts as rejected (default 4h).')),
};

export const RollingServiceSchema = z
  .strictObject({
    ...ecsCommon,
    strategy: z.literal('rolling').check(z.describe(STRATEGY_TEXT)),
    service: ecsName.check(z.describe('ECS service name.')),
    healthCheck: z.optional(HealthCheckSchema),
    verification: z.prefault(RollingVerificationSchema, {}),
    bakeSeconds: z
      ._default(z.number().check(z.int(), z.gte(0), z.lte(86_400)), 300)
      .check(z.describe('How long the new revision is watched (alarms, health check) after the rollout before it counts as good.')),
  })
  .check(z.describe('Rolling update of one ECS service (ECS replaces the tasks, with the circuit breaker on).'));

export const CanaryServiceSchema = z
  .strictObject({
    ...ecsCommon,
    ...trafficCommon,
    strategy: z.literal('canary').check(z.describe(STRATEGY_TEXT)),
    service: ecsName.check(z.describe('The primary ECS service (it serves the traffic the canary does not).')),
    healthCheck: z.optional(HealthCheckSchema),
    loadBalancer: z
      .strictObject({
        listener: listenerOrRule.check(z.describe('Listener (default action) or listener rule whose forward weights the deployer sets.')),
        targetGroup: targetGroup.check(z.describe('Target group of the primary service.')),
        canaryTargetGroup: targetGroup.check(z.describe('Target group the canary tasks are registered in.')),
      })
      .check(
        z.refine((lb) => lb.targetGroup !== lb.canaryTargetGroup, {
          path: ['canaryTargetGroup'],
          message: 'must differ from targetGroup: the canary needs its own target group',
        }),
        z.describe('The ALB listener and target groups, as ARNs: { listener, targetGroup, canaryTargetGroup }.'),
      ),
    canaryService: z
      .optional(ecsName)
      .check(z.describe('An ECS service you own for the canary; by default the deployer creates "<service>-canary" for each deployment and deletes it after.')),
    steps: stepsSchema(DEFAULT_CANARY_STEPS, 'Traffic steps to the canary'),
  })
  .check(z.describe('Canary: the new revision runs as a canary service taking a growing share of traffic, then the primary is updated.'));

const colour = (which: string) =>
  z
    .strictObject({
      service: ecsName.check(z.describe(`ECS service of the ${which} colour.`)),
      targetGroup: targetGroup.check(z.describe(`Target group of the ${which} colour.`)),
    })
    .check(z.describe(`The ${which} colour: { service, targetGroup }.`));

export const BlueGreenServiceSchema = z
  .strictObject({
    ...ecsCommon,
    ...trafficCommon,
    strategy: z.literal('blue-green').check(z.describe(STRATEGY_TEXT)),
    blue: colour('blue'),
    green: colour('green'),
    healthCheck: z.optional(BlueGreenHealthCheckSchema),
    loadBalancer: z
      .strictObject({
        listener: listenerOrRule.check(z.describe('Listener (default action) or listener rule that serves production traffic.')),
        testListener: z.optional(listenerOnly).check(z.describe('Listener that forwards to the idle colour, for checks before any traffic moves.')),
      })
      .check(z.describe('The ALB listener, and optionally a test listener, as ARNs: { listener, testListener }.')),
    keepWarm: z
      ._default(duration(24 * 3600), 900)
      .check(z.describe('How long the old colour keeps running after the switch, verified, for an instant rollback (default 15m).')),
    steps: stepsSchema(DEFAULT_BLUE_GREEN_STEPS, 'Traffic steps to the new colour'),
  })
  .check(z.superRefine((svc, ctx) => {
    if (svc.blue.service === svc.green.service) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['green', 'service'],
        message: 'must differ from blue.service',
      });
    }
    if (svc.blue.targetGroup === svc.green.targetGroup) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['green', 'targetGroup'],
        message: 'must differ from blue.targetGroup',
      });
    }
    if (svc.loadBalancer.testListener !== undefined && svc.healthCheck?.testUrl === undefined) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['healthCheck', 'testUrl'],
        message: 'required with loadBalancer.testListener: the URL that reaches the idle colour through the test listener',
      });
    }
  }))
  .check(z.describe('Blue-green: the idle colour gets the new revision at full size, traffic moves to it by steps, the old colour stays warm.'));

export const EcsServiceSchema = z.discriminatedUnion('strategy', [
  RollingServiceSchema,
  CanaryServiceSchema,
  BlueGreenServiceSchema,
]);

export { STRATEGIES, type Strategy } from './strategies.ts';

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
export const EcsServiceListSchema = z.nullable(z.array(EcsServiceSchema));

/** Why a service's worst case is too long or writes too many history events, or undefined when it fits. */
function budgetProblem(svc: EcsServiceConfig | VmServiceConfig): { field?: string; message: string } | undefined {
  const worst = worstCase(svc);
  const vm = 'artifacts' in svc;
  if (worst.seconds > MAX_WORST_CASE_SECONDS) {
    const what = vm
      ? 'every batch and its rollback at batchTimeout, every bake, approval timeout and keepWarm'
      : 'rollouts at deploymentTimeoutSeconds, every bake, approval timeout and keepWarm';
    return {
      message: `a deployment of ${svc.name} could take up to ${formatDuration(worst.seconds)} with its rollback (${what}); at most ${formatDuration(MAX_WORST_CASE_SECONDS)}: shorten them${vm ? ' or use fewer batches' : ''}`,
    };
  }
  // Not `<=`: a field already refused (a step's weight, say) makes the count NaN, and that field's own problem says why.
  if (!(worst.events > MAX_HISTORY_EVENTS_BUDGET)) return undefined;
  const largest = [...worst.parts].sort((a, b) => b.events - a.events).slice(0, 2);
  const interval = intervalWithinBudget(svc);
  return {
    field: 'verifyIntervalSeconds',
    message:
      `a deployment of ${svc.name} could write up to ${worst.events} Step Functions history events, mostly polling every ${svc.verifyIntervalSeconds}s for ` +
      `${largest.map((p) => `${p.what} (${p.events})`).join(' and ')}; an execution ends at 25,000 and the deployer keeps ${MAX_HISTORY_EVENTS_BUDGET} for itself: ` +
      (interval === undefined ? 'shorten the bakes and timeouts' : `raise verifyIntervalSeconds to at least ${interval}, or shorten them`),
  };
}

export const DeployerConfigSchema = z
  .strictObject({
    $schema: z.optional(z.string()).check(z.describe('JSON Schema of this file, for editors (deployer schema writes it).')),
    notifications: z
      .optional(
        z.strictObject({
          emails: z._default(z.array(z.email()), []).check(z.describe('Addresses subscribed to the notification topic.')),
        }),
      )
      .check(z.describe('Who hears about deployments: { emails }.')),
    ecs: z
      ._default(z.pipe(EcsServiceListSchema, z.transform((services) => services ?? [])), [])
      .check(z.describe('ECS services.')),
    vm: z
      ._default(z.pipe(VmServiceListSchema, z.transform((services) => services ?? [])), [])
      .check(z.describe('VM services: EC2 or on-premises hosts, reached through SSM Run Command or over SSH.')),
  })
  .check(z.superRefine((config, ctx) => {
    if (config.ecs.length === 0 && config.vm.length === 0) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
        code: 'custom',
        path: ['ecs'],
        message: 'no services: describe at least one service under ecs: or vm:',
      });
    }
    const names = new Map<string, string>();
    const checkName = (list: 'ecs' | 'vm', index: number, name: string): void => {
      const first = names.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
          code: 'custom',
          path: [list, index, 'name'],
          message: `duplicate service name '${name}' (already used by ${first}); names must be unique across ecs: and vm:`,
        });
      } else names.set(name, `${list}[${index}]`);
    };
    const checkBudget = (list: 'ecs' | 'vm', index: number, svc: EcsServiceConfig | VmServiceConfig): void => {
      const problem = budgetProblem(svc);
      if (problem !== undefined) {
        ctx.addIssue({
          // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
          code: 'custom',
          path: problem.field === undefined ? [list, index] : [list, index, problem.field],
          message: problem.message,
        });
      }
    };
    const ecsServices = new Map<string, number>();
    config.ecs.forEach((svc, index) => {
      checkName('ecs', index, svc.name);
      checkBudget('ecs', index, svc);
      for (const target of ecsServicesOf(svc)) {
        const owner = ecsServices.get(target);
        if (owner !== undefined && owner !== index) {
          ctx.addIssue({
            // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
            code: 'custom',
            path: ['ecs', index],
            message: `ECS service ${target} is already deployed by ecs[${owner}] (${config.ecs[owner]?.name ?? '?'}); two entries would deploy it at once`,
          });
        } else ecsServices.set(target, index);
      }
    });
    const places = new Map<string, number>();
    config.vm.forEach((svc, index) => {
      checkName('vm', index, svc.name);
      checkBudget('vm', index, svc);
      // The same place twice within one entry is the entry's own problem (vm-config.ts); here, across entries.
      for (const { place, what, path } of vmPlacesOf(svc)) {
        const owner = places.get(place);
        if (owner !== undefined && owner !== index) {
          ctx.addIssue({
            // Stryker disable next-line StringLiteral: equivalent, users see an issue's message and path, never its code
            code: 'custom',
            path: ['vm', index, ...path],
            message: `${what} is already deployed by vm[${owner}] (${config.vm[owner]?.name ?? '?'}); two services would overwrite each other's releases there`,
          });
        } else places.set(place, index);
      }
    });
  }));

export type DeployerConfig = z.output<typeof DeployerConfigSchema>;
export type EcsServiceConfig = z.output<typeof EcsServiceSchema>;
export type { VmServiceConfig } from './vm-config.ts';
/** A service of either kind. */
export type ServiceConfig = EcsServiceConfig | VmServiceConfig;
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

export { allServices, findService, findVmService, isVmService, serviceNames } from './config-lookup.ts';

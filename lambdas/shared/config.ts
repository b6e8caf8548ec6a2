/**
 * The deployer's configuration file: which services exist, how each one is
 * deployed and verified. One schema validates it everywhere (CDK synth, the
 * CLI, the Lambdas). Reading the YAML file and exporting the JSON Schema live
 * in `config-file.ts`, which the Lambdas do not bundle.
 */
import * as z from 'zod';
import { formatIssues } from './format-issues.ts';

/** Names end up in execution names, DynamoDB keys and CloudWatch dimensions. */
const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'use 1-40 lowercase letters, digits or dashes, starting with a letter or digit');

/** ECR repository names (without registry): https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html */
export const repositoryName = z
  .string()
  .regex(
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    'an ECR repository name such as "web" or "team/web" (no registry, no tag)',
  )
  .max(256);

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

export const HealthCheckSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).describe('URL to GET during the bake.'),
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
  })
  .describe('HTTP check made at every verification step of the bake.');

export const EcsServiceSchema = z
  .strictObject({
    name: serviceName.describe('Name of the service in the deployer (used by the CLI, history and execution names).'),
    cluster: awsName.describe('ECS cluster name or ARN.'),
    service: awsName.describe('ECS service name.'),
    container: awsName.describe('Container, in the task definition, whose image is replaced.'),
    repository: repositoryName.describe('ECR repository whose pushes deploy this service.'),
    tagPattern: z
      .string()
      .min(1)
      .default('*')
      .describe('Glob of the image tags that deploy automatically, e.g. "v*". Other tags are ignored.'),
    strategy: z.literal('rolling', { error: 'only "rolling" is available in this version' }).default('rolling'),
    alarms: z
      .array(awsName)
      .max(100)
      .default([])
      .describe('CloudWatch alarm names; if one of them is in ALARM during the bake, the deployment rolls back.'),
    healthCheck: HealthCheckSchema.optional(),
    bakeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(300)
      .describe('How long the new revision is watched (alarms, health check) before it counts as good.'),
    verifyIntervalSeconds: z.number().int().min(10).max(3600).default(30).describe('Time between two verification steps.'),
    deploymentTimeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(21_600)
      .default(1800)
      .describe('How long ECS may take to finish the rollout before it is rolled back.'),
  })
  .describe('An ECS service behind a load balancer, deployed by replacing one container image.');

export const DeployerConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    notifications: z
      .strictObject({
        emails: z.array(z.email()).default([]).describe('Addresses subscribed to the notification topic.'),
      })
      .optional(),
    ecs: z.array(EcsServiceSchema).default([]).describe('ECS services.'),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.ecs.forEach((svc, index) => {
      const first = seen.get(svc.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['ecs', index, 'name'],
          message: `duplicate service name '${svc.name}' (already used by ecs[${first}]); names must be unique`,
        });
      } else seen.set(svc.name, index);
    });
  });

export type DeployerConfig = z.output<typeof DeployerConfigSchema>;
export type EcsServiceConfig = z.output<typeof EcsServiceSchema>;
export type HealthCheckConfig = z.output<typeof HealthCheckSchema>;

/** A config file that does not validate; `problems` has one line per field. */
export class ConfigError extends Error {
  public override readonly name = 'ConfigError';

  public constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(`${source} is not a valid deployer config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validate an already-parsed config object. */
export function parseConfig(raw: unknown, source = 'config'): DeployerConfig {
  const result = DeployerConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

/** Find a service by its deployer name. */
export function findService(config: DeployerConfig, name: string): EcsServiceConfig | undefined {
  return config.ecs.find((s) => s.name === name);
}

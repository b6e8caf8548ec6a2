/**
 * What flows through the VM state machines (`vm-rolling`, `vm-canary`,
 * `vm-blue-green`): the contract between ValidateInput, the VM handlers and
 * the envelope.
 *
 * `VmDeploymentRequest` is the execution input for a VM service: what the S3
 * upload trigger sends and what a person types in the Step Functions console.
 * `VmDeployment` is the validated, self-contained description ValidateInput
 * puts at `$.deployment` (like the ECS `Deployment`, whose envelope fields it
 * shares: `image` is the artifact's S3 URI and `imageTag` its version, so the
 * lock, history, events and CLI read both kinds the same way). Hosts are not
 * in it: ResolveHosts writes them to the deployment table, one item per host
 * (the ledger), so a fleet of 1,000 hosts never travels in the state.
 *
 * Every schema here is built on first use (`z.lazy`): a Lambda's cold start
 * then builds none of them, and a handler builds only the ones its events
 * hold (a zod schema costs tens of microseconds to build in a cold process,
 * and these modules hold hundreds).
 */
import * as z from 'zod/mini';
import { HealthCheckSchema } from './health-check-schema.ts';
import { StepSchema, verificationSettingsFields } from './deployment.ts';

/** `s3://BUCKET/KEY` */
export const S3_URI = /^s3:\/\/(?<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(?<key>[^\0]{1,1024})$/;

/** The console input of a VM service. */
export const VmDeploymentRequestSchema = z.lazy(() => z.strictObject({
  service: z.string().check(z.minLength(1, 'the name of a service in the deployer config, e.g. "api"')),
  artifact: z.string().check(
    z.regex(S3_URI, 'an S3 URI of the artifact under the service\'s prefix, e.g. s3://my-artifacts/api/api-1.4.0.tar.gz'),
    z.describe('The artifact to deploy: s3://BUCKET/KEY under the service\'s artifact prefix.'),
  ),
  version: z
    .optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ -, at most 64, starting with a letter or digit')))
    .check(z.describe('Release name on the hosts; by default read from the artifact\'s file name (api-1.4.0.tar.gz: 1.4.0).')),
  sha256: z
    .optional(z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, '64 hexadecimal digits')))
    .check(z.describe('Expected SHA-256 of the artifact; by default read from the object KEY.sha256 beside it.')),
  startedBy: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  requestedAt: z.optional(z.iso.datetime({ offset: true, error: 'an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z' })),
  reason: z.optional(z.string().check(z.maxLength(1024))),
}));
export type VmDeploymentRequest = z.output<typeof VmDeploymentRequestSchema>;

/** How hosts are reached: SSM Run Command (EC2 or on-premises managed instances), or SSH from a Lambda in the VPC. */
export const VM_EXECUTORS = ['ssm', 'ssh'] as const;
export type VmExecutor = (typeof VM_EXECUTORS)[number];

/** A host listed for SSH in the config, after validation. */
export const SshHostSchema = z.lazy(() => z.object({
  /** Unique within the service: the ledger key, shown in reports. */
  name: z.string(),
  address: z.string(),
  port: z.number().check(z.int()),
  user: z.string(),
  /** Pinned host key: `ssh-ed25519 AAAA…` or `SHA256:…` fingerprint. */
  hostKey: z.string(),
  /** Secrets Manager secret (name or ARN) holding the private key. */
  privateKeySecret: z.string(),
  /** For target group registration: the instance ID (or IP) and port the target group knows the host by. */
  target: z.optional(z.object({ id: z.string(), port: z.optional(z.number().check(z.int())) })),
  /** Per-host values over the service's (several hosts may share one machine). */
  installDir: z.optional(z.string()),
  healthUrl: z.optional(z.string()),
  vars: z.optional(z.record(z.string(), z.string())),
}));
export type SshHost = z.output<typeof SshHostSchema>;

/** Which hosts a deployment (or one colour of a blue-green) acts on, as the config names them. */
export const VmTargetsSchema = z.lazy(() => z.object({
  executor: z.enum(VM_EXECUTORS),
  /** SSM: instances carrying all these tags (resolved with ec2:DescribeInstances / ssm:DescribeInstanceInformation). */
  ec2Tags: z.optional(z.record(z.string(), z.string())),
  /** SSM: these managed instances (`i-…` or `mi-…`). */
  instanceIds: z.optional(z.array(z.string())),
  /** SSH: these hosts. */
  hosts: z.optional(z.array(SshHostSchema)),
  /** Target group the hosts are deregistered from before their stop and registered in after their health check. */
  targetGroupArn: z.optional(z.string()),
  /** Port of the hosts' targets in that group (SSM instances), when it is not the group's. */
  targetPort: z.optional(z.number().check(z.int())),
}));
export type VmTargets = z.output<typeof VmTargetsSchema>;

/** The release script's settings shared by every host (a host's own values override installDir, healthUrl, vars). */
export const VmReleaseSettingsSchema = z.lazy(() => z.object({
  /** SERVICE_NAME on the hosts (the systemd unit of the default commands); default: the deployer's name of the service. */
  serviceName: z.optional(z.string()),
  installDir: z.string(),
  keepReleases: z.number().check(z.int()),
  owner: z.optional(z.string()),
  minFreeMb: z.number().check(z.int()),
  startCommand: z.string(),
  stopCommand: z.string(),
  statusCommand: z.optional(z.string()),
  useSudo: z.boolean(),
  serviceTimeoutSeconds: z.number().check(z.int()),
  downloadTimeoutSeconds: z.number().check(z.int()),
  /** Template over host fields: `{address}`, `{port}`, `{name}`, `{instanceId}`, `{privateIp}`. */
  healthUrl: z.optional(z.string()),
  healthExpect: z.optional(z.string()),
  healthRetries: z.number().check(z.int()),
  healthIntervalSeconds: z.number(),
  smokeCommands: z.array(z.string()),
  configTemplate: z.optional(z.string()),
  configTarget: z.optional(z.string()),
  configVars: z.record(z.string(), z.string()),
}));
export type VmReleaseSettings = z.output<typeof VmReleaseSettingsSchema>;

/** A batch size as written: a count of hosts, or a percentage of the fleet (`"25%"`); cumulative. */
export const BatchSizeSchema = z.lazy(() => z.union([z.number().check(z.int(), z.gte(1)), z.string().check(z.regex(/^(100|[1-9][0-9]?)%$/))]));

export const VmDeploymentSchema = z.lazy(() => z.object({
  service: z.string(),
  kind: z.literal('vm'),
  strategy: z.enum(['rolling', 'canary', 'blue-green']),
  /** The artifact's S3 URI: what the lock, history and events show as "the image". */
  image: z.string(),
  /** The release name on the hosts. */
  imageTag: z.string(),
  artifact: z.object({ bucket: z.string(), key: z.string(), version: z.string(), sha256: z.string() }),
  startedBy: z.string(),
  reason: z.optional(z.string()),
  requestedAt: z.string(),
  executionId: z.string(),
  executionName: z.string(),
  executionStartTime: z.string(),
  release: VmReleaseSettingsSchema,
  /** Rolling and canary: the fleet. */
  targets: z.optional(VmTargetsSchema),
  /** Blue-green: both groups of hosts (each with its target group). */
  blue: z.optional(VmTargetsSchema),
  green: z.optional(VmTargetsSchema),
  loadBalancer: z.optional(z.object({ listenerArn: z.string(), testListenerArn: z.optional(z.string()) })),
  /**
   * Cumulative batch sizes, e.g. `["25%", "50%", "100%"]`. Canary: the
   * first batch is the canary, verified for `canaryBakeSeconds` (and approved,
   * when `canaryApproval`) before the rest.
   */
  batches: z.array(BatchSizeSchema),
  /** Failed hosts a batch tolerates (a count, or a percentage of the batch). */
  maxErrors: z.union([z.number().check(z.int(), z.gte(0)), z.string()]),
  /** A host that is not Online (SSM) or not reachable with its pinned key (SSH) before the first batch. */
  unreachableHosts: z.enum(['fail', 'skip']),
  canaryBakeSeconds: z.number().check(z.int(), z.gte(0)),
  canaryApproval: z.boolean(),
  /** Blue-green: traffic steps to the new group. */
  steps: z.array(StepSchema),
  verification: z.object({ ...verificationSettingsFields, healthCheck: z.optional(HealthCheckSchema) }),
  /** After the last batch (rolling, canary): how long the new release is verified. */
  bakeSeconds: z.number().check(z.int(), z.gte(0)),
  /** How long one batch's commands may run on a host before it counts as failed. */
  batchTimeoutSeconds: z.number().check(z.int(), z.gte(60)),
  /** SSH executor: connection settings (the SSH Lambda runs in the config's subnets). */
  ssh: z.optional(z.object({ connectTimeoutSeconds: z.number().check(z.int()), commandTimeoutSeconds: z.number().check(z.int()) })),
  keepWarmSeconds: z.number().check(z.int(), z.gte(0)),
  approvalTimeoutSeconds: z.number().check(z.int(), z.gte(1)),
}));
export type VmDeployment = z.output<typeof VmDeploymentSchema>;

/**
 * One host's line in the ledger (the deployment table, `pk = HOSTS#<executionName>`,
 * `sk = <host id>`): where it is in this execution and what it served
 * before, so a rollback touches only the hosts this execution changed and
 * returns each to its own previous release.
 */
export const HostLedgerEntrySchema = z.lazy(() => z.object(hostLedgerEntryFields()));
export type HostLedgerEntry = z.output<typeof HostLedgerEntrySchema>;

/**
 * The fields of {@link HostLedgerEntrySchema}, which the executors' ledger
 * item (`lambdas/vm/host-ledger.ts`) extends: a function, so they too are
 * built on first use (zod/mini's `z.lazy` has no `unwrap()` to reach them).
 */
export function hostLedgerEntryFields() {
  return {
    /** Instance ID (SSM) or host name (SSH). */
    host: z.string(),
    executor: z.enum(VM_EXECUTORS),
    /** Blue-green: which group. */
    group: z.enum(['fleet', 'blue', 'green']),
    /** 0-based batch the host belongs to. */
    batch: z.number().check(z.int()),
    /** `current` before this execution touched it (undefined: first install). */
    releaseBefore: z.optional(z.string()),
    releaseAfter: z.optional(z.string()),
    /** The last phase the release script reported (`download`, `stop`, `switch`, `health`…). */
    phase: z.optional(z.string()),
    status: z.enum(['pending', 'skipped', 'running', 'succeeded', 'failed', 'rolled-back', 'rollback-failed']),
    /** A short reason and the tail of the output (full output is in CloudWatch Logs). */
    message: z.optional(z.string()),
    /** True once the script may have changed the host (stopped the service or switched `current`). */
    changed: z.boolean(),
  };
}

/** Partition key of an execution's ledger. */
export function hostLedgerPartitionKey(executionName: string): string {
  return `HOSTS#${executionName}`;
}

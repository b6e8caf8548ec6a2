/**
 * The `vm:` list of the config: services deployed to EC2 or on-premises
 * hosts by the release script (`vm/release.sh`), through SSM Run Command
 * (hosts found by EC2 tags or listed by instance ID) or over SSH (hosts
 * listed with their pinned host key).
 *
 * Every value that reaches the release script (install directory, service
 * name, config variables, health URL) is checked here with the script's own
 * patterns (`RELEASE_PATTERNS`), so a value the script would refuse, or one
 * that could inject a command, is refused when the file is validated, naming
 * the field, and never reaches a host.
 */
import * as z from 'zod/mini';
import { targetBlocksOf } from './config-lookup.ts';
import { RELEASE_PATTERNS } from '../vm/release-environment.ts';
import {
  ACCOUNT,
  arnString,
  awsName,
  DEFAULT_BLUE_GREEN_STEPS,
  duration,
  healthCheckFields,
  listenerOnly,
  listenerOrRule,
  PARTITION,
  preexistingAlarms,
  REGION,
  serviceName,
  stepsSchema,
  targetGroup,
  TrafficVerificationSchema,
} from './config-fields.ts';

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX = /^(?:[A-Za-z0-9!_.'()=+-]+\/)*$/;
/** Glob on the key after the prefix: key characters, `*` (not across `/`) and `?`. */
const ARTIFACT_PATTERN = /^[A-Za-z0-9!_.'()=+*?-]+(?:\/[A-Za-z0-9!_.'()=+*?-]+)*$/;
/** The release script unpacks gzip'd tar archives only. */
const ARCHIVE_SUFFIX = /\.(?:tar\.gz|tgz)$/;

export const VmArtifactsSchema = z
  .strictObject({
    bucket: z
      .string()
      .check(
        z.regex(S3_BUCKET, 'an S3 bucket name: 3-63 lowercase letters, digits, "." and "-" (the name alone, not s3:// or an ARN)'),
        z.describe('S3 bucket the artifacts are uploaded to.'),
      ),
    prefix: z
      .string()
      .check(
        z.maxLength(512),
        z.regex(S3_PREFIX, 'a key prefix ending with "/", e.g. "api/" or "releases/api/" (letters, digits and !_.\'()=+- between the slashes), or "" for the whole bucket'),
        z.describe('Key prefix of this service\'s artifacts, ending with "/": an upload under it (matching pattern) deploys the service.'),
      ),
    pattern: z
      ._default(
        z
          .string()
          .check(
            z.maxLength(256),
            z.regex(ARTIFACT_PATTERN, 'a glob of keys after the prefix, e.g. "*.tar.gz" or "api-*.tgz" (* does not cross "/")'),
            z.refine((pattern) => ARCHIVE_SUFFIX.test(pattern), 'must end with .tar.gz or .tgz: the release script unpacks gzip\'d tar archives'),
          ),
        '*.tar.gz',
      )
      .check(z.describe('Glob of the keys after the prefix that are artifacts (default "*.tar.gz"); KEY.sha256 beside each holds its SHA-256.')),
    downloadTimeout: z
      ._default(duration(6 * 3600), 900)
      .check(z.describe('How long a host may take to download the artifact (default 15m).')),
  })
  .check(z.describe('Where the artifacts are: { bucket, prefix, pattern }. Upload KEY.sha256 (sha256sum output) beside each artifact.'));

const instanceId = z
  .string()
  .check(z.regex(/^(?:i|mi)-[0-9a-f]{8,17}$/, 'an EC2 instance ID (i-0123456789abcdef0) or an SSM managed instance ID (mi-0123456789abcdef0)'));

const port = z.number().check(z.int(), z.gte(1), z.lte(65535));

/** SSH and Linux user names (the release script's owner pattern, without the group). */
const userName = z.string().check(z.regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a Linux user name: lowercase letters, digits, "_", "." and "-", e.g. deploy'));

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = new RegExp(`^${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`);
const secretRef = arnString(
  'secretsmanager',
  [SECRET_NAME, SECRET_ARN],
  'a Secrets Manager secret name (e.g. deployer/web-key) or ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) holding the private key',
);

/** The pinned host key, as `lambdas/vm/ssh-run.ts` reads it (kept in step: that file's parser refuses anything else). */
const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

function isHostKey(value: string): boolean {
  const text = value.trim();
  if (FINGERPRINT.test(text)) return true;
  const line = KEY_LINE.exec(text);
  if (line === null) return false;
  // The key blob starts with its own type name (uint32 length, then the name): a truncated or pasted-wrong key fails here.
  const blob = Buffer.from(line[2] ?? '', 'base64');
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  return length > 0 && blob.length >= 4 + length && blob.subarray(4, 4 + length).toString('latin1') === line[1];
}

const hostKey = z
  .string()
  .check(
    z.refine(
      isHostKey,
      'the host\'s public key as an OpenSSH line ("ssh-ed25519 AAAA...", from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub) or its fingerprint ("SHA256:...", from ssh-keygen -lf): the deployer never connects to an unpinned host',
    ),
    z.describe('Pinned host key: an OpenSSH public key line or its SHA256: fingerprint. A host presenting another key is refused.'),
  );

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:]{2,39}$/;

/** Where a URL template's placeholders come from: the host it is checked on. */
const URL_PLACEHOLDERS = {
  address: '10.0.0.1',
  privateIp: '10.0.0.1',
  port: '8080',
  name: 'web-1',
  instanceId: 'i-0123456789abcdef0',
} as const;

/**
 * A health URL, optionally a template over the host (`{address}`, `{port}`,
 * `{name}`, `{instanceId}`, `{privateIp}`): with its placeholders filled it
 * must be a URL the release script accepts.
 */
const healthUrlTemplate = z
  .string()
  .check(z.maxLength(2048), z.superRefine((value, ctx) => {
    const unknown = [...value.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((name) => !(name in URL_PLACEHOLDERS));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder {${unknown[0] ?? ''}}: use {address}, {port}, {name}, {instanceId} or {privateIp}`,
      });
      return;
    }
    const filled = value.replace(/\{([A-Za-z]+)\}/g, (_m, name: keyof typeof URL_PLACEHOLDERS) => URL_PLACEHOLDERS[name]);
    if (!RELEASE_PATTERNS.healthUrl.test(filled)) {
      ctx.addIssue({
        code: 'custom',
        message: 'an http:// or https:// URL without spaces or quotes, e.g. "http://127.0.0.1:8080/health" or "http://{address}:8080/health"',
      });
    }
  }));

const installDir = z
  .string()
  .check(
    z.maxLength(200),
    z.regex(RELEASE_PATTERNS.installDir, 'an absolute path of letters, digits, ".", "_" and "-", e.g. /opt/api (no . or .. components, no trailing /)'),
  );

const configVars = z.record(
  z.string().check(z.regex(RELEASE_PATTERNS.configKey, 'variable names are upper case: letters, digits and "_", e.g. LOG_LEVEL')),
  z.string().check(z.maxLength(4096), z.regex(/^[^\n\0]*$/, 'one line of text (no newline)')),
);

const HostSchema = z
  .strictObject({
    name: z
      .string()
      .check(
        z.regex(HOST_NAME, 'letters, digits, ".", "_" and "-", at most 64, e.g. web-1'),
        z.describe('Name of the host in reports and the ledger; unique within the service.'),
      ),
    address: z
      .string()
      .check(
        z.refine((value) => DNS_NAME.test(value) || IPV6.test(value), 'a host name or IP address, e.g. 10.0.1.5 or web-1.internal'),
        z.describe('Host name or IP address the SSH Lambda connects to (from the configured subnets).'),
      ),
    port: z._default(port, 22).check(z.describe('SSH port (default 22).')),
    user: z.optional(userName).check(z.describe('SSH user (default ssh.user).')),
    hostKey,
    privateKeySecret: z.optional(secretRef).check(z.describe('Secrets Manager secret holding the private key (default ssh.privateKeySecret).')),
    installDir: z.optional(installDir).check(z.describe('This host\'s install directory, over install.dir (several hosts may share one machine).')),
    healthUrl: z.optional(healthUrlTemplate).check(z.describe('This host\'s health URL, over healthCheck.url.')),
    vars: z.optional(configVars).check(z.describe('This host\'s config variables, over configFile.vars.')),
    target: z
      .optional(
        z.strictObject({
          id: z
            .string()
            .check(
              z.refine((value) => /^i-[0-9a-f]{8,17}$/.test(value) || /^(?:\d{1,3}\.){3}\d{1,3}$/.test(value), 'an EC2 instance ID or an IPv4 address'),
              z.describe('Instance ID or IP address the target group knows this host by.'),
            ),
          port: z.optional(port).check(z.describe('Port of the target (default: the target group\'s).')),
        }),
      )
      .check(z.describe('How the target group knows this host: { id, port }.')),
  })
  .check(z.describe('A host reached over SSH.'));

const TARGET_KINDS = ['ec2Tags', 'instanceIds', 'hosts'] as const;

const targetsFields = {
  ec2Tags: z
    .optional(
      z
        .record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256)))
        .check(z.refine((tags) => Object.keys(tags).length > 0 && Object.keys(tags).length <= 10, 'between 1 and 10 tags, e.g. { app: api, env: prod }')),
    )
    .check(z.describe('SSM: the running instances carrying all these tags (e.g. { app: api, env: prod }).')),
  instanceIds: z.optional(z.array(instanceId).check(z.minLength(1), z.maxLength(1000))).check(z.describe('SSM: these managed instances (i-… or mi-…).')),
  hosts: z.optional(z.array(HostSchema).check(z.minLength(1), z.maxLength(1000))).check(z.describe('SSH: these hosts (needs the ssh block).')),
  targetPort: z.optional(port).check(z.describe('Port of the instances\' targets in targetGroup (SSM), when it is not the group\'s.')),
};

type TargetsInput = { [K in (typeof TARGET_KINDS)[number]]?: unknown } & { targetGroup?: unknown; targetPort?: unknown };

function checkTargets(targets: TargetsInput, ctx: z.core.$RefinementCtx): void {
  const given = TARGET_KINDS.filter((kind) => targets[kind] !== undefined);
  if (given.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'no hosts: give one of ec2Tags (SSM, e.g. { app: api }), instanceIds (SSM) or hosts (SSH)',
    });
  } else if (given.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [given[1] ?? 'hosts'],
      message: `${given.join(' and ')} are both given: keep one (a targets block is found by tags, listed by instance ID, or reached over SSH)`,
    });
  }
  if (targets.targetPort !== undefined && targets.targetGroup === undefined) {
    ctx.addIssue({ code: 'custom', path: ['targetPort'], message: 'only with targetGroup: the port of the hosts\' targets in it' });
  }
}

const TargetsSchema = z
  .strictObject({
    ...targetsFields,
    targetGroup: z
      .optional(targetGroup)
      .check(z.describe('Target group the hosts are deregistered from before their stop and registered in again after their health check.')),
  })
  .check(z.superRefine(checkTargets), z.describe('The hosts: exactly one of ec2Tags, instanceIds (both SSM) or hosts (SSH); optionally their targetGroup.'));

const colourTargets = (which: string) =>
  z
    .strictObject({
      ...targetsFields,
      targetGroup: targetGroup.check(z.describe(`Target group of the ${which} hosts.`)),
    })
    .check(z.superRefine(checkTargets), z.describe(`The ${which} hosts: exactly one of ec2Tags, instanceIds or hosts, and their targetGroup.`));

const subnetId = z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet ID, e.g. subnet-0123456789abcdef0'));
const securityGroupId = z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'a security group ID, e.g. sg-0123456789abcdef0'));

const SshSchema = z
  .strictObject({
    subnetIds: z.array(subnetId).check(z.minLength(1), z.maxLength(16), z.describe('Subnets the SSH Lambda runs in: they must reach the hosts.')),
    securityGroupIds: z
      .array(securityGroupId)
      .check(z.minLength(1), z.maxLength(5), z.describe('Security groups of the SSH Lambda: the hosts must allow SSH from them.')),
    user: z.optional(userName).check(z.describe('SSH user of every host that names none.')),
    privateKeySecret: z.optional(secretRef).check(z.describe('Secrets Manager secret holding the private key of every host that names none.')),
    connectTimeout: z._default(duration(120), 10).check(z.describe('How long a connection may take (default 10s).')),
    commandTimeout: z
      .optional(duration(12 * 3600))
      .check(z.describe('How long the release script may run on a host (default batchTimeout); longer runs are detached and polled.')),
  })
  .check(z.describe('How the SSH Lambda reaches the hosts: required with targets.hosts.'));

const InstallSchema = z
  .strictObject({
    dir: installDir.check(z.describe('Where releases are installed: DIR/releases/VERSION, DIR/current the one serving.')),
    keepReleases: z
      ._default(z.number().check(z.int(), z.gte(2), z.lte(100)), 5)
      .check(z.describe('Releases kept on each host (default 5; current and previous always).')),
    owner: z
      .optional(z.string().check(z.regex(RELEASE_PATTERNS.owner, 'user or user:group, lower-case names, e.g. "api:api"')))
      .check(z.describe('Owner of the release files (chown), e.g. "api:api".')),
    minFreeMb: z
      ._default(z.number().check(z.int(), z.gte(0), z.lte(999_999)), 100)
      .check(z.describe('Free space the install directory needs before the download (default 100).')),
  })
  .check(z.describe('Where and how releases are installed on each host.'));

const command = z
  .string()
  .check(z.minLength(1), z.maxLength(4096), z.regex(/^[^\0]*$/, 'no NUL character'));

const ServiceControlSchema = z
  .strictObject({
    name: z
      .optional(z.string().check(z.regex(RELEASE_PATTERNS.serviceName, 'a systemd unit name: letters, digits, ".", "_", "@" and "-", at most 64')))
      .check(z.describe('systemd unit the default commands start and stop (default: the service\'s name).')),
    start: z.optional(command).check(z.describe('Command that starts the service (default: systemctl start NAME).')),
    stop: z.optional(command).check(z.describe('Command that stops the service (default: systemctl stop NAME).')),
    status: z.optional(command).check(z.describe('Command that exits 0 while the service runs (default with systemd: systemctl is-active --quiet NAME).')),
    sudo: z._default(z.boolean(), false).check(z.describe('Run these commands with sudo -n (default false).')),
    timeout: z._default(duration(3600), 120).check(z.describe('How long a start, stop or status may take (default 2m).')),
  })
  .check(z.superRefine((control, ctx) => {
    if ((control.start === undefined) !== (control.stop === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [control.start === undefined ? 'start' : 'stop'],
        message: 'give start and stop together, or neither (systemd: systemctl start|stop NAME)',
      });
    }
  }))
  .check(z.describe('How the service is started, stopped and checked; systemd by default.'));

const relativePath = z
  .string()
  .check(z.regex(RELEASE_PATTERNS.relativePath, 'a path inside the release: letters, digits, ".", "_" and "-", no . or .. components, e.g. conf/app.env'));

const ConfigFileSchema = z
  .strictObject({
    template: relativePath.check(z.describe('Template inside the artifact, e.g. conf/app.env.tmpl; each {{KEY}} is replaced by its value.')),
    target: relativePath.check(z.describe('File written from it, inside the release, e.g. conf/app.env.')),
    vars: z._default(configVars, {}).check(z.describe('Values of the template\'s {{KEY}}s (per host: hosts[].vars).')),
  })
  .check(
    z.refine((file) => file.template !== file.target, { path: ['target'], message: 'must differ from template' }),
    z.describe('A config file rendered on each host from a template in the artifact.'),
  );

const HostHealthCheckSchema = z
  .strictObject({
    url: healthUrlTemplate.check(
      z.describe('URL the host must answer with 2xx after the start, e.g. "http://127.0.0.1:8080/health" or "http://{address}:8080/health".'),
    ),
    expect: z
      .optional(z.string().check(z.maxLength(256), z.regex(/^[^\r\n\0]*$/, 'one line of text')))
      .check(z.describe('Text the answer must contain, e.g. \'"status":"UP"\'.')),
    retries: z
      ._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 10)
      .check(z.describe('Tries before the host counts as unhealthy (default 10).')),
    interval: z._default(duration(600), 3).check(z.describe('Time between two tries (default 3s).')),
  })
  .check(z.describe('Checked on each host by the release script after the start; a failure puts the host back on its previous release.'));

const BATCH = /^(?:[1-9][0-9]{0,4}|(?:100|[1-9][0-9]?)%)$/;

/** A batch size: a count of hosts, or a percentage of the fleet as "25%"; cumulative. */
const batchSize = z.pipe(
  z.union([z.number(), z.string()]),
  // zod/mini's transform context has no addIssue: a problem goes on the payload's issues, as addIssue put it.
  z.transform((value, ctx): number | `${number}%` => {
    const text = String(value);
    if (!BATCH.test(text)) {
      ctx.issues.push({ code: 'custom', message: 'a number of hosts (1, 5) or a percentage of the fleet in quotes ("25%", "100%")', input: value });
      return z.NEVER;
    }
    return text.endsWith('%') ? (text as `${number}%`) : Number(text);
  }),
);

export type BatchSize = number | `${number}%`;

const maxErrors = z
  ._default(
    z.pipe(
      z.union([z.number(), z.string()]),
      z.transform((value, ctx): number | `${number}%` => {
        const text = String(value);
        if (!/^(?:[0-9]{1,5}|(?:100|[1-9]?[0-9])%)$/.test(text)) {
          ctx.issues.push({ code: 'custom', message: 'a number of hosts (0, 2) or a percentage of the batch in quotes ("10%")', input: value });
          return z.NEVER;
        }
        return text.endsWith('%') ? (text as `${number}%`) : Number(text);
      }),
    ),
    0,
  )
  .check(z.describe('Failed hosts a batch tolerates: a count, or a percentage of the batch ("10%"); default 0.'));

export const DEFAULT_VM_BATCHES = {
  rolling: ['25%', '50%', '100%'],
  canary: [1, '50%', '100%'],
  'blue-green': ['100%'],
} as const;

function batchesSchema(defaults: readonly (number | string)[]) {
  return z
    .prefault(z.array(batchSize).check(z.minLength(1), z.maxLength(100)), [...defaults])
    .check(
      z.describe(
        `Cumulative batches: counts of hosts, then percentages of the fleet, rising and ending at "100%" (or the whole listed fleet). Default ${JSON.stringify(defaults)}.`,
      ),
    );
}

/** Fields every VM strategy has. */
const vmCommon = {
  name: serviceName.check(z.describe('Name of the service in the deployer (used by the CLI, history and execution names).')),
  artifacts: VmArtifactsSchema,
  ssh: z.optional(SshSchema),
  install: InstallSchema,
  serviceControl: z.prefault(ServiceControlSchema, {}),
  configFile: z.optional(ConfigFileSchema),
  healthCheck: z.optional(HostHealthCheckSchema),
  smokeTests: z
    ._default(z.array(command.check(z.regex(/^[^\r\n]*$/, 'one line (give several commands as several items)'))).check(z.maxLength(20)), [])
    .check(z.describe('Commands run on each host after its health check; one that fails puts the host back on its previous release.')),
  maxErrors,
  unreachableHosts: z
    ._default(z.enum(['fail', 'skip']), 'fail')
    .check(
      z.describe(
        'A host that is not Online (SSM) or not reachable with its pinned key (SSH) before the first batch: "fail" (default) stops the deployment before anything changes, "skip" leaves it out.',
      ),
    ),
  batchTimeout: z
    ._default(duration(12 * 3600).check(z.refine((seconds) => seconds >= 60, 'at least 1m')), 1800)
    .check(z.describe('How long one batch may run on its hosts before the hosts still running count as failed (default 30m).')),
  alarms: z
    ._default(z.array(awsName).check(z.maxLength(100)), [])
    .check(z.describe('CloudWatch alarm names; one that goes into ALARM while new code serves fails the deployment.')),
  verifyIntervalSeconds: z
    ._default(z.number().check(z.int(), z.gte(10), z.lte(3600)), 30)
    .check(z.describe('Time between two verifications, and between two polls of a batch.')),
  approvalTimeout: z
    ._default(duration(24 * 3600), 4 * 3600)
    .check(z.describe('How long an approval waits before it counts as rejected (default 4h).')),
};

const VmVerificationSchema = z
  .strictObject({
    preexistingAlarms,
    healthCheck: z
      .optional(z.strictObject(healthCheckFields))
      .check(z.describe('HTTP check of the whole service (e.g. through its load balancer) at every verification.')),
  })
  .check(z.describe('How the deployment is verified between batches and while it bakes: alarms, and optionally an HTTP check of the service.'));

const VmTrafficVerificationSchema = z.extend(TrafficVerificationSchema, {
  healthCheck: z
    .optional(
      z.strictObject({
        ...healthCheckFields,
        testUrl: z
          .optional(z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }))
          .check(z.describe('URL that reaches the idle hosts through the test listener: checked before any traffic moves.')),
      }),
    )
    .check(z.describe('HTTP check of the service: `url` while traffic shifts; `testUrl` (through the test listener) on the idle hosts first.')),
}).check(z.describe('New-vs-old comparison of the two target groups\' metrics at every step, the alarm policy and the HTTP check.'));

/** What editors show on hover over `strategy:`: the choices, since each one is a schema of its own. */
const VM_STRATEGY_TEXT = 'How the release reaches the hosts: rolling, canary or blue-green (each has its own fields).';

const bake = z._default(duration(24 * 3600), 300).check(z.describe('How long the new release is verified after the last batch (default 5m).'));

export const VmRollingServiceSchema = z
  .strictObject({
    ...vmCommon,
    strategy: z.literal('rolling').check(z.describe(VM_STRATEGY_TEXT)),
    targets: TargetsSchema,
    batches: batchesSchema(DEFAULT_VM_BATCHES.rolling),
    verification: z.prefault(VmVerificationSchema, {}),
    bake,
  })
  .check(z.describe('Rolling: the hosts get the new release batch by batch (each host drained, stopped, switched, started, checked), verified between batches.'));

export const VmCanaryServiceSchema = z
  .strictObject({
    ...vmCommon,
    strategy: z.literal('canary').check(z.describe(VM_STRATEGY_TEXT)),
    targets: TargetsSchema,
    batches: batchesSchema(DEFAULT_VM_BATCHES.canary),
    verification: z.prefault(VmVerificationSchema, {}),
    canary: z
      .prefault(
        z.strictObject({
          bake: z._default(duration(24 * 3600), 600).check(z.describe('How long the canary batch is verified before the rest (default 10m).')),
          approval: z._default(z.boolean(), false).check(z.describe('Wait for an approval (deployer approve SERVICE) after the canary\'s bake.')),
        }),
        {},
      )
      .check(z.describe('The first batch is the canary: { bake, approval }.')),
    bake,
  })
  .check(z.describe('Canary: the first batch gets the new release and is verified (and approved, if asked) before the other batches.'));

export const VmBlueGreenServiceSchema = z
  .strictObject({
    ...vmCommon,
    strategy: z.literal('blue-green').check(z.describe(VM_STRATEGY_TEXT)),
    blue: colourTargets('blue'),
    green: colourTargets('green'),
    loadBalancer: z
      .strictObject({
        listener: listenerOrRule.check(z.describe('Listener (default action) or listener rule that serves production traffic.')),
        testListener: z.optional(listenerOnly).check(z.describe('Listener that forwards to the idle hosts, for checks before any traffic moves.')),
      })
      .check(z.describe('The ALB listener, and optionally a test listener, as ARNs: { listener, testListener }.')),
    batches: batchesSchema(DEFAULT_VM_BATCHES['blue-green']),
    verification: z.prefault(VmTrafficVerificationSchema, {}),
    steps: stepsSchema(DEFAULT_BLUE_GREEN_STEPS, 'Traffic steps to the new hosts'),
    keepWarm: z
      ._default(duration(24 * 3600), 900)
      .check(z.describe('How long the old hosts keep serving the old release after the switch, verified, for an instant rollback (default 15m).')),
  })
  .check(z.superRefine((svc, ctx) => {
    if (svc.blue.targetGroup === svc.green.targetGroup) {
      ctx.addIssue({ code: 'custom', path: ['green', 'targetGroup'], message: 'must differ from blue.targetGroup' });
    }
    if (svc.loadBalancer.testListener !== undefined && svc.verification.healthCheck?.testUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['verification', 'healthCheck', 'testUrl'],
        message: 'required with loadBalancer.testListener: the URL that reaches the idle hosts through the test listener',
      });
    }
  }))
  .check(z.describe('Blue-green: the idle group of hosts gets the new release, traffic moves to its target group by steps, the old group stays warm.'));

const VmServiceUnion = z.discriminatedUnion('strategy', [VmRollingServiceSchema, VmCanaryServiceSchema, VmBlueGreenServiceSchema]);

export type VmServiceConfig = z.output<typeof VmServiceUnion>;
type VmTargetsConfig = z.output<typeof TargetsSchema>;

/** How many hosts a targets block has, when the config says (listed instances or hosts); undefined for tags. */
function fleetSize(targets: VmTargetsConfig): number | undefined {
  return targets.instanceIds?.length ?? targets.hosts?.length;
}

function checkBatches(svc: VmServiceConfig, ctx: z.core.$RefinementCtx): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path: ['batches', ...path], message });
  const sizes = targetBlocksOf(svc).map((block) => fleetSize(block.targets));
  const known = sizes.every((size) => size !== undefined) ? Math.min(...(sizes as number[])) : undefined;
  const allSame = sizes.every((size) => size === sizes[0]);
  let previousCount = 0;
  let previousPercent = 0;
  svc.batches.forEach((batch, index) => {
    if (typeof batch === 'number') {
      if (previousPercent > 0) {
        issue([index], `a count after a percentage cannot be checked to rise: give the counts first, then percentages, e.g. [1, "50%", "100%"]`);
      } else if (batch <= previousCount) {
        issue([index], `${batch} does not rise above the previous batch's ${previousCount}: batches are cumulative (hosts done so far)`);
      } else if (known !== undefined && batch > known) {
        issue([index], `${batch} hosts, but the service lists ${known}: batches are cumulative and end with the whole fleet`);
      }
      previousCount = Math.max(previousCount, batch);
      return;
    }
    const percent = Number(batch.slice(0, -1));
    if (percent <= previousPercent) {
      issue([index], `${batch} does not rise above the previous batch's ${previousPercent}%: batches are cumulative (share of the fleet done so far)`);
    }
    previousPercent = Math.max(previousPercent, percent);
  });
  const last = svc.batches.at(-1);
  const lastIndex = svc.batches.length - 1;
  if (typeof last === 'number') {
    if (known === undefined) {
      issue([lastIndex], `end with "100%": hosts found by ec2Tags are not counted before the deployment, so ${last} might leave some on the old release`);
    } else if (!allSame) {
      issue([lastIndex], `end with "100%": the blue and green groups list different numbers of hosts (${sizes.join(' and ')})`);
    } else if (last < known) {
      issue([lastIndex], `the last batch is ${last} of the ${known} listed hosts: end with ${known} or "100%" so every host gets the release`);
    }
  } else if (last !== undefined && last !== '100%') {
    issue([lastIndex], `the last batch is ${last}: end with "100%" so every host gets the release`);
  }
  if (svc.strategy === 'canary' && svc.batches.length < 2) {
    issue([], 'the first batch is the canary: give at least two batches, e.g. [1, "100%"]');
  }
}

function checkHosts(svc: VmServiceConfig, ctx: z.core.$RefinementCtx): void {
  const blocks = targetBlocksOf(svc);
  const usesSsh = blocks.some((block) => block.targets.hosts !== undefined);
  if (usesSsh && svc.ssh === undefined) {
    const first = blocks.find((block) => block.targets.hosts !== undefined)?.path ?? 'targets';
    ctx.addIssue({
      code: 'custom',
      path: ['ssh'],
      message: `required with ${first}.hosts: { subnetIds, securityGroupIds } the SSH Lambda runs in (and user, privateKeySecret for every host)`,
    });
  }
  if (!usesSsh && svc.ssh !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['ssh'], message: 'only with hosts (SSH): ec2Tags and instanceIds are reached through SSM; remove it' });
  }
  const names = new Map<string, string>();
  const instances = new Map<string, string>();
  const places = new Map<string, string>();
  for (const { path, targets } of blocks) {
    targets.hosts?.forEach((host, index) => {
      const where = `${path}.hosts[${index}]`;
      const first = names.get(host.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [path, 'hosts', index, 'name'], message: `duplicate host name '${host.name}' (already ${first}); host names must be unique within a service` });
      } else names.set(host.name, where);
      if (host.user === undefined && svc.ssh !== undefined && svc.ssh.user === undefined) {
        ctx.addIssue({ code: 'custom', path: [path, 'hosts', index, 'user'], message: 'required: the SSH user, here or for every host as ssh.user' });
      }
      if (host.privateKeySecret === undefined && svc.ssh !== undefined && svc.ssh.privateKeySecret === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [path, 'hosts', index, 'privateKeySecret'],
          message: 'required: the Secrets Manager secret holding the private key, here or for every host as ssh.privateKeySecret',
        });
      }
    });
    targets.hosts?.forEach((host, index) => {
      const dir = host.installDir ?? svc.install.dir;
      const place = `${host.address}:${host.port}:${dir}`;
      const first = places.get(place);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [path, 'hosts', index],
          message: `${host.address}:${host.port} with install directory ${dir} is already ${first}: give one of them its own installDir (several hosts may share a machine, each in its own directory)`,
        });
      } else places.set(place, `${path}.hosts[${index}]`);
    });
    targets.instanceIds?.forEach((id, index) => {
      const first = instances.get(id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [path, 'instanceIds', index], message: `instance ${id} is already listed (${first}): a host is deployed once per deployment` });
      } else instances.set(id, `${path}.instanceIds[${index}]`);
    });
  }
}

export const VmServiceSchema = VmServiceUnion.check(
  z.superRefine((svc, ctx) => {
    checkBatches(svc, ctx);
    checkHosts(svc, ctx);
  }),
);

/**
 * The `vm:` list. `vm:` with nothing under it reads as null, like an empty
 * `ecs:`.
 */
export const VmServiceListSchema = z.nullable(z.array(VmServiceSchema));

/**
 * The places a service's release lands, each as `address:port:installDir`
 * (SSH hosts) or `instance:ID` (SSM instances listed by ID), with the path
 * of the field: two entries (or two hosts of one entry) deploying to the
 * same place would overwrite each other's releases.
 */
export function vmPlacesOf(svc: VmServiceConfig): { place: string; what: string; path: (string | number)[] }[] {
  return targetBlocksOf(svc).flatMap(({ path, targets }) => [
    ...(targets.hosts ?? []).map((host, index) => ({
      place: `${host.address}:${host.port}:${host.installDir ?? svc.install.dir}`,
      what: `host ${host.address}:${host.port} with install directory ${host.installDir ?? svc.install.dir}`,
      path: [path, 'hosts', index],
    })),
    ...(targets.instanceIds ?? []).map((id, index) => ({ place: `instance:${id}`, what: `instance ${id}`, path: [path, 'instanceIds', index] })),
  ]);
}

export type VmRollingServiceConfig = z.output<typeof VmRollingServiceSchema>;
export type VmCanaryServiceConfig = z.output<typeof VmCanaryServiceSchema>;
export type VmBlueGreenServiceConfig = z.output<typeof VmBlueGreenServiceSchema>;
export type VmHostConfig = z.output<typeof HostSchema>;
export type { VmTargetsConfig };
export { targetBlocksOf };

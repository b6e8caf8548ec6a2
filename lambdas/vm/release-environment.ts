/**
 * The release script's inputs (`vm/release.sh`), validated with the same rules
 * as the script's own, so a bad value is refused here first, with the field's
 * name, before any host is touched; and the environment the script reads,
 * built from them.
 */
import * as z from 'zod/mini';
import { formatIssues, issueMessage } from '../shared/format-issues.ts';
import { InvalidInput } from '../shared/errors.ts';

/** The patterns `vm/release.sh` checks; keep the two in step (the tests run both). */
export const RELEASE_PATTERNS = {
  serviceName: /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
  version: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  sha256: /^[0-9a-fA-F]{64}$/,
  installDir: /^(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/,
  relativePath: /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/,
  httpsUrl: /^https:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$/,
  fileUrl: /^file:\/\/\/[A-Za-z0-9._~/%+-]+$/,
  healthUrl: /^https?:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$/,
  owner: /^[a-z_][a-z0-9_.-]{0,31}(:[a-z_][a-z0-9_.-]{0,31})?$/,
  configKey: /^[A-Z_][A-Z0-9_]*$/,
  seconds: /^[0-9]{1,4}(\.[0-9]{1,3})?$/,
  /** A deployment's name (its Step Functions execution's): what the host's journal records. */
  deploymentId: /^[A-Za-z0-9_-]{1,80}$/,
} as const;

const MAX_INT = 999_999;
const noNul = (s: string): boolean => !s.includes('\0');

const version = z.string().check(z.regex(RELEASE_PATTERNS.version, 'must be letters, digits, . _ -, at most 64, starting with a letter or digit'));
const relativePath = z
  .string()
  .check(z.regex(RELEASE_PATTERNS.relativePath, 'must be a path relative to the release: letters, digits, . _ -, no . or .. components'));
const command = z.string().check(z.minLength(1, 'must not be empty'), z.refine(noNul, 'must not contain a NUL character'));
const count = (min: number) => z.number().check(z.int(`must be a whole number`), z.gte(min, `must be at least ${min}`), z.lte(MAX_INT));

/** What a deployment (or a rollback) of one host needs. Field names are the env var names in camelCase. */
export const releaseInputSchema = z.lazy(() => z
  .strictObject({
    mode: z._default(z.enum(['deploy', 'rollback']), 'deploy'),
    serviceName: z.string().check(z.regex(RELEASE_PATTERNS.serviceName, 'must be letters, digits, . _ @ -, at most 64, starting with a letter or digit')),
    version: z.optional(version),
    artifactUrl: z.optional(
      z.string().check(
        z.maxLength(8192, 'must be at most 8192 characters'),
        z.refine(
          (url) => RELEASE_PATTERNS.httpsUrl.test(url) || RELEASE_PATTERNS.fileUrl.test(url),
          'must be an https:// URL (no spaces or quotes) or file:/// followed by a path',
        ),
      ),
    ),
    artifactSha256: z.optional(z.string().check(z.regex(RELEASE_PATTERNS.sha256, 'must be 64 hexadecimal digits'))),
    installDir: z
      .string()
      .check(
        z.maxLength(200, 'must be at most 200 characters'),
        z.regex(RELEASE_PATTERNS.installDir, 'must be an absolute path of letters, digits, . _ - (no . or .. components, no trailing /)'),
      ),
    keepReleases: z._default(count(2), 5),
    startCommand: z._default(command, 'systemctl start "$SERVICE_NAME"'),
    stopCommand: z._default(command, 'systemctl stop "$SERVICE_NAME"'),
    statusCommand: z.optional(command),
    useSudo: z._default(z.boolean(), false),
    owner: z.optional(z.string().check(z.regex(RELEASE_PATTERNS.owner, 'must be user or user:group (lower-case names)'))),
    minFreeMb: z._default(count(0), 100),
    healthUrl: z.optional(
      z.string().check(
        z.maxLength(2048, 'must be at most 2048 characters'),
        z.regex(RELEASE_PATTERNS.healthUrl, 'must be an http:// or https:// URL (no spaces or quotes)'),
      ),
    ),
    healthExpect: z.optional(z.string().check(z.maxLength(256, 'must be at most 256 characters'), z.regex(/^[^\r\n\0]*$/, 'must be one line'))),
    healthRetries: z._default(count(1), 10),
    healthIntervalSeconds: z._default(
      z.number().check(
        z.gte(0, 'must not be negative'),
        z.refine((n) => RELEASE_PATTERNS.seconds.test(String(n)), 'must be seconds with at most 3 decimals, below 10000'),
      ),
      3,
    ),
    smokeCommands: z._default(z.array(command.check(z.regex(/^[^\r\n]*$/, 'must be one line (give several commands as several items)'))), []),
    configTemplate: z.optional(relativePath),
    configTarget: z.optional(relativePath),
    configVars: z._default(
      z.record(
        z.string().check(z.regex(RELEASE_PATTERNS.configKey, 'keys must match [A-Z_][A-Z0-9_]*')),
        z.string().check(z.regex(/^[^\n\0]*$/, 'must be one line (no newline)')),
      ),
      {},
    ),
    rollbackTo: z.optional(version),
    /** Deploy: the deployment's name, recorded in the host's journal with what the run changes. */
    deploymentId: z.optional(z.string().check(z.regex(RELEASE_PATTERNS.deploymentId, 'must be a deployment name: 1-80 letters, digits, _ or -'))),
    /** Rollback without `rollbackTo`: undo what the deployment of this name changed, if it is still the host's last change. */
    rollbackOf: z.optional(z.string().check(z.regex(RELEASE_PATTERNS.deploymentId, 'must be a deployment name: 1-80 letters, digits, _ or -'))),
    serviceTimeoutSeconds: z._default(count(1), 120),
    downloadTimeoutSeconds: z._default(count(1), 900),
    /** How long to wait for another run of the script on the host to end (0: refuse at once). */
    lockWaitSeconds: z._default(count(0), 0),
  })
  .check(z.superRefine((input, ctx) => {
    const issue = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (input.mode === 'deploy') {
      if (input.version === undefined) issue('version', 'required to deploy');
      if (input.artifactUrl === undefined) issue('artifactUrl', 'required to deploy (a presigned https:// URL)');
      if (input.artifactSha256 === undefined) issue('artifactSha256', 'required to deploy (the artifact is refused without it)');
    }
    if (input.configTemplate !== undefined && input.configTarget === undefined) issue('configTarget', 'required with configTemplate');
    if (input.configTarget !== undefined && input.configTemplate === undefined) issue('configTemplate', 'required with configTarget');
    if (input.configTemplate !== undefined && input.configTemplate === input.configTarget) issue('configTarget', 'must differ from configTemplate');
    if (input.healthExpect !== undefined && input.healthUrl === undefined) issue('healthExpect', 'needs healthUrl');
  })));

/** The script's inputs, as given (defaults optional). */
export type ReleaseInputSource = z.input<typeof releaseInputSchema>;
/** The script's inputs, validated, defaults applied. */
export type ReleaseInput = z.output<typeof releaseInputSchema>;

/**
 * Validate the inputs of one run of the release script.
 *
 * @throws InvalidInput naming every bad field (`release.version: must be ...`).
 */
export function parseReleaseInput(raw: unknown, label = 'release'): ReleaseInput {
  const parsed = releaseInputSchema.safeParse(raw, { error: issueMessage });
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues).map((line) => `${label}.${line}`);
    throw new InvalidInput(`Invalid ${label} input:\n${lines.join('\n')}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** base64 of the KEY=VALUE lines the script reads from CONFIG_VARS. */
export function encodeConfigVars(vars: Readonly<Record<string, string>>): string {
  const lines = Object.entries(vars).map(([key, value]) => `${key}=${value}`);
  return Buffer.from(lines.join('\n'), 'utf8').toString('base64');
}

/** The environment variables `vm/release.sh` reads, from validated inputs. */
export function releaseEnvironment(input: ReleaseInput): Record<string, string> {
  const env: Record<string, string> = {
    DEPLOYER_MODE: input.mode,
    SERVICE_NAME: input.serviceName,
    INSTALL_DIR: input.installDir,
    KEEP_RELEASES: String(input.keepReleases),
    START_COMMAND: input.startCommand,
    STOP_COMMAND: input.stopCommand,
    USE_SUDO: String(input.useSudo),
    MIN_FREE_MB: String(input.minFreeMb),
    HEALTH_RETRIES: String(input.healthRetries),
    HEALTH_INTERVAL_SECONDS: String(input.healthIntervalSeconds),
    SERVICE_TIMEOUT_SECONDS: String(input.serviceTimeoutSeconds),
    DOWNLOAD_TIMEOUT_SECONDS: String(input.downloadTimeoutSeconds),
  };
  const optional: [string, string | undefined][] = [
    ['VERSION', input.version],
    ['ARTIFACT_URL', input.artifactUrl],
    ['ARTIFACT_SHA256', input.artifactSha256?.toLowerCase()],
    ['STATUS_COMMAND', input.statusCommand],
    ['OWNER', input.owner],
    ['HEALTH_URL', input.healthUrl],
    ['HEALTH_EXPECT', input.healthExpect],
    ['SMOKE_COMMANDS', input.smokeCommands.length > 0 ? input.smokeCommands.join('\n') : undefined],
    ['CONFIG_TEMPLATE', input.configTemplate],
    ['CONFIG_TARGET', input.configTarget],
    ['CONFIG_VARS', Object.keys(input.configVars).length > 0 ? encodeConfigVars(input.configVars) : undefined],
    ['ROLLBACK_TO', input.rollbackTo],
    ['ROLLBACK_OF', input.rollbackOf],
    ['DEPLOYMENT_ID', input.deploymentId],
    ['LOCK_WAIT_SECONDS', input.lockWaitSeconds > 0 ? String(input.lockWaitSeconds) : undefined],
  ];
  for (const [name, value] of optional) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Validate `raw` and build the script's environment from it. @throws InvalidInput */
export function releaseEnvironmentFrom(raw: unknown, label?: string): Record<string, string> {
  return releaseEnvironment(parseReleaseInput(raw, label));
}

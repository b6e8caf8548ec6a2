/**
 * One check everywhere: `deployer validate`, `cdk synth` (bin/app.ts, which
 * loads the file with infra/load-config) and the Lambdas (the config compiled
 * into them, as JSON) accept and refuse the same files, with the same
 * problem lines: `FILE:LINE:COLUMN: FIELD: what to write` from a file, the
 * same line after `DEPLOYER_CONFIG:` in a Lambda (which gets JSON, so no
 * line or column).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { schemaReference } from '../../bin/cli/schema-reference.ts';
import { loadConfigFile } from '../../infra/load-config.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { loadCatalog } from '../../lambdas/shared/catalog.ts';
import { ConfigError } from '../../lambdas/shared/config.ts';
import { run } from '../support/cli-run.ts';

/** A valid rolling service; each case below breaks one thing. Line 7 is `repository`, line 8 `tagPattern`. */
const WEB = [
  'ecs:',
  '  - name: web',
  '    strategy: rolling',
  '    cluster: prod',
  '    service: web',
  '    container: app',
  '    repository: web',
  '    tagPattern: "v*"',
].join('\n');

const LB = {
  listener: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2',
  targetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout/73e2d6bc24d8a067',
  canaryTargetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-canary/2453ed029918f21f',
};
/** A valid canary service; line 10 is `listener`. */
const CHECKOUT = [
  'ecs:',
  '  - name: checkout',
  '    strategy: canary',
  '    cluster: prod',
  '    service: checkout',
  '    container: app',
  '    repository: checkout',
  '    tagPattern: "v*"',
  '    loadBalancer:',
  `      listener: ${LB.listener}`,
  `      targetGroup: ${LB.targetGroup}`,
  `      canaryTargetGroup: ${LB.canaryTargetGroup}`,
].join('\n');

/** A valid rolling VM service; line 7 is `install`. */
const API_VM = [
  'vm:',
  '  - name: api-vm',
  '    strategy: rolling',
  '    artifacts: { bucket: acme-artifacts, prefix: api/ }',
  '    targets:',
  '      ec2Tags: { app: api }',
  '    install: { dir: /opt/api }',
].join('\n');

const replace = (text: string, from: string, to: string): string => {
  if (!text.includes(from)) throw new Error(`test setup: '${from}' is not in the config`);
  return text.replace(from, to);
};

/** Each file that must be refused, the one problem it has, and where. */
const REFUSED: { what: string; text: string; at: string; problem: string }[] = [
  {
    what: 'a registry host in repository (the ECR rule would never match a push)',
    text: replace(WEB, 'repository: web', 'repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web'),
    at: '7:17',
    problem:
      'ecs[0].repository: a repository name without its registry: write repository: web (an image of account 123456789012 in us-east-1 needs registry: { accountId: "123456789012", region: us-east-1 } when that is not the deployer\'s own account and region)',
  },
  {
    what: 'a tag in repository',
    text: replace(WEB, 'repository: web', 'repository: web:v1.4.0'),
    at: '7:17',
    problem: 'ecs[0].repository: a repository name without a tag or digest: write repository: web, and choose the tags that deploy with tagPattern',
  },
  {
    what: 'an image of another registry in repository',
    text: replace(WEB, 'repository: web', 'repository: ghcr.io/acme/web'),
    at: '7:17',
    problem: "ecs[0].repository: a repository name of the deployer's ECR registry, not an image of ghcr.io: push the image to ECR and write its repository name, e.g. repository: web",
  },
  {
    what: 'a registry account ID YAML reads as a number (leading zeros would be lost)',
    text: replace(WEB, 'repository: web', 'repository: web\n    registry: { accountId: 011122223333, region: eu-west-1 }'),
    at: '8:28',
    problem: 'ecs[0].registry.accountId: the 12-digit account ID in quotes, e.g. accountId: "111122223333"',
  },
  {
    what: 'a registry region that is no AWS region',
    text: replace(WEB, 'repository: web', 'repository: web\n    registry: { accountId: "111122223333", region: ireland }'),
    at: '8:52',
    problem: 'ecs[0].registry.region: an AWS region such as "eu-west-1"',
  },
  {
    what: 'a service ARN as the cluster',
    text: replace(WEB, 'cluster: prod', 'cluster: arn:aws:ecs:us-east-1:123456789012:service/prod/web'),
    at: '4:14',
    problem:
      'ecs[0].cluster: this is the ARN of an ECS service: write cluster: prod and service: web; expected an ECS cluster name such as "prod", or a cluster ARN arn:aws:ecs:REGION:ACCOUNT:cluster/NAME',
  },
  {
    what: 'a cluster ARN with a malformed account',
    text: replace(WEB, 'cluster: prod', 'cluster: arn:aws:ecs:us-east-1:12345678901:cluster/prod'),
    at: '4:14',
    problem:
      "ecs[0].cluster: the account '12345678901' of this ARN is not a 12-digit account ID; expected an ECS cluster name such as \"prod\", or a cluster ARN arn:aws:ecs:REGION:ACCOUNT:cluster/NAME",
  },
  {
    what: 'a cluster ARN with a malformed region',
    text: replace(WEB, 'cluster: prod', 'cluster: arn:aws:ecs:us-east:123456789012:cluster/prod'),
    at: '4:14',
    problem:
      "ecs[0].cluster: the region 'us-east' of this ARN is not an AWS region such as us-east-1; expected an ECS cluster name such as \"prod\", or a cluster ARN arn:aws:ecs:REGION:ACCOUNT:cluster/NAME",
  },
  {
    what: 'a listener ARN with a malformed region',
    text: replace(CHECKOUT, LB.listener, LB.listener.replace('us-east-1', 'useast1')),
    at: '10:17',
    problem:
      "ecs[0].loadBalancer.listener: the region 'useast1' of this ARN is not an AWS region such as us-east-1; expected the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID) or listener rule (…:listener-rule/app/NAME/ID/ID/ID)",
  },
  {
    what: 'two entries on the same cluster and ECS service (two locks for one service)',
    text: `${WEB}\n${replace(WEB, 'ecs:\n', '').replace('name: web', 'name: web-again')}`,
    at: '9:5',
    problem: 'ecs[1]: ECS service prod/web is already deployed by ecs[0] (web); two entries would deploy it at once',
  },
  {
    what: 'a tag pattern with a space and a slash (no ECR tag has them)',
    text: replace(WEB, '"v*"', '"v 1/*"'),
    at: '8:17',
    problem:
      'ecs[0].tagPattern: a glob of image tags: letters, digits, ".", "_", "-" and the wildcards * and ?, not starting with "." or "-" (e.g. "v*" or "release-*")',
  },
  {
    what: 'a tag pattern with a bracket',
    text: replace(WEB, '"v*"', '"v[*"'),
    at: '8:17',
    problem:
      'ecs[0].tagPattern: a glob of image tags: letters, digits, ".", "_", "-" and the wildcards * and ?, not starting with "." or "-" (e.g. "v*" or "release-*")',
  },
  {
    what: 'no tagPattern (a push of latest must not deploy by default)',
    text: replace(WEB, '    tagPattern: "v*"', ''),
    at: '2:5',
    problem: 'ecs[0].tagPattern: required: glob of the image tags that deploy on push, e.g. "v*" (other tags are ignored; "*" deploys every push, latest included)',
  },
  {
    what: 'no strategy',
    text: replace(WEB, '    strategy: rolling\n', ''),
    at: '2:5',
    problem: 'ecs[0].strategy: must be one of "rolling", "canary", "blue-green"',
  },
  {
    what: 'a misspelt field',
    text: `${WEB}\n    bakeSecond: 60`,
    at: '9:5',
    problem: "ecs[0]: unknown field 'bakeSecond' (did you mean 'bakeSeconds'?)",
  },
  {
    what: 'a number out of range',
    text: `${WEB}\n    bakeSeconds: -5`,
    at: '9:18',
    problem: 'ecs[0].bakeSeconds: at least 0',
  },
  {
    what: 'a VM targets block with both tags and instance IDs',
    text: replace(API_VM, 'ec2Tags: { app: api }', 'ec2Tags: { app: api }\n      instanceIds: [i-0a1b2c3d4e5f60718]'),
    at: '7:20',
    problem: 'vm[0].targets.instanceIds: ec2Tags and instanceIds are both given: keep one (a targets block is found by tags, listed by instance ID, or reached over SSH)',
  },
  {
    what: 'a VM install directory that would reach the shell',
    text: replace(API_VM, '{ dir: /opt/api }', '{ dir: "/opt/api; reboot" }'),
    at: '7:21',
    problem: 'vm[0].install.dir: an absolute path of letters, digits, ".", "_" and "-", e.g. /opt/api (no . or .. components, no trailing /)',
  },
  {
    what: 'VM batches that do not rise',
    text: `${API_VM}\n    batches: ["50%", "40%", "100%"]`,
    at: '8:22',
    problem: "vm[0].batches[1]: 40% does not rise above the previous batch's 50%: batches are cumulative (share of the fleet done so far)",
  },
  {
    what: 'SSH hosts without the ssh block',
    text: replace(API_VM, 'ec2Tags: { app: api }', 'hosts: [{ name: web-1, address: 10.0.1.5, hostKey: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" }]'),
    at: '2:5',
    problem: 'vm[0].ssh: required with targets.hosts: { subnetIds, securityGroupIds } the SSH Lambda runs in (and user, privateKeySecret for every host)',
  },
  {
    what: 'a VM service with the name of an ECS service',
    text: `${WEB}\n${replace(API_VM, 'name: api-vm', 'name: web')}`,
    at: '10:11',
    problem: "vm[0].name: duplicate service name 'web' (already used by ecs[0]); names must be unique across ecs: and vm:",
  },
  { what: 'an empty file', text: '', at: '1:1', problem: 'ecs: no services: describe at least one service under ecs: or vm:' },
  { what: 'a file with only comments', text: '# nothing yet\n', at: '1:1', problem: 'ecs: no services: describe at least one service under ecs: or vm:' },
  { what: 'ecs: with nothing under it', text: 'notifications:\n  emails: []\necs:\n', at: '3:1', problem: 'ecs: no services: describe at least one service under ecs: or vm:' },
  { what: 'an empty ecs list', text: 'ecs: []\n', at: '1:6', problem: 'ecs: no services: describe at least one service under ecs: or vm:' },
];

/** What the Lambdas say about a config: they are built with the document as JSON (DEPLOYER_CONFIG). */
async function lambdaError(text: string): Promise<ConfigError> {
  vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(parseDocument(text).toJS() ?? {}));
  try {
    await loadCatalog();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the Lambda accepted the config');
}

function synthError(file: string, cwd: string): ConfigError {
  try {
    loadConfigFile(file, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('synth accepted the config');
}

describe('one check everywhere: deployer validate, cdk synth and the Lambdas', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-validate-'));
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it.each(REFUSED)('refuses $what: file, line:column, field and fix', async ({ text, at, problem }) => {
    // Prepare
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), text);
    const expected = `deployer.config.yaml is not a valid deployer config (1 problem):\n  deployer.config.yaml:${at}: ${problem}`;

    // Act
    const cli = await run('validate', '--config', 'deployer.config.yaml');
    const synth = synthError('deployer.config.yaml', cwd);
    const lambda = await lambdaError(text);

    // Assess
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toBe(`deployer: ${expected}\n`);
    expect(synth.message).toBe(expected);
    expect(lambda.problems).toEqual([problem]);
    expect(lambda.message).toBe(`DEPLOYER_CONFIG is not a valid deployer config (1 problem):\n  DEPLOYER_CONFIG: ${problem}`);
  });

  it('lists every problem of a file in file order, each with its own line and column', async () => {
    // Prepare
    const text = `${replace(replace(WEB, 'repository: web', 'repository: web:v1'), '    tagPattern: "v*"', '')}\n    bakeSeconds: lots`;
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), text);

    // Act
    const cli = await run('validate');

    // Assess
    expect(cli.code).toBe(2);
    expect(cli.stderr.split('\n').slice(1, 4)).toEqual([
      expect.stringMatching(/^ {2}deployer\.config\.yaml:2:5: ecs\[0\]\.tagPattern: required: /),
      expect.stringMatching(/^ {2}deployer\.config\.yaml:7:17: ecs\[0\]\.repository: a repository name without a tag/),
      '  deployer.config.yaml:9:18: ecs[0].bakeSeconds: expected a number, not the text "lots"',
    ]);
  });

  it('places a YAML syntax error at its line and column', async () => {
    // Prepare
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), `${WEB}\n   bakeSeconds: 60\n`);

    // Act
    const cli = await run('validate');

    // Assess
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^deployer: deployer\.config\.yaml is not a valid deployer config \(1 problem\):\n {2}deployer\.config\.yaml:9:\d+: YAML syntax: /);
  });

  it('finds a field in a service that shares settings through a merge key', async () => {
    // Prepare: the second service takes its fields from the first one's anchor.
    const text = `${replace(WEB, '  - name: web', '  - &web\n    name: web')}\n  - <<: *web\n    name: api\n    service: api\n    bakeSeconds: -1`;
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), text);

    // Act
    const cli = await run('validate');

    // Assess
    expect(cli.stderr).toContain('  deployer.config.yaml:13:18: ecs[1].bakeSeconds: at least 0');
  });

  it('accepts the same files: the example passes validate, synth and the Lambdas alike', async () => {
    // Prepare
    const example = path.join(REPO_ROOT, 'examples', 'deployer.config.yaml');

    // Act
    const cli = await run('validate', '--config', example);
    const synth = loadConfigFile(example);
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(parseDocument(readFileSync(example, 'utf8')).toJS()));
    const lambda = await loadCatalog();

    // Assess
    expect(cli.code).toBe(0);
    expect(lambda).toEqual(synth);
    expect(synth.ecs.map((s) => s.name)).toEqual(['web', 'orders-api', 'checkout', 'payments']);
  });

  it('stops cdk synth (bin/app.ts) with the same lines as deployer validate, and no stack trace', async () => {
    // Prepare
    const text = `${replace(replace(WEB, 'repository: web', 'repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web'), '"v*"', '"v[*"')}\n${replace(WEB, 'ecs:\n', '').replace('name: web', 'name: web-again')}`;
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), text);
    const cli = await run('validate');

    // Act: as `cdk synth` runs the app, in the directory of the config (its default path).
    const app = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'bin', 'app.ts')], {
      cwd,
      env: { ...process.env, CDK_CONTEXT_JSON: '{}', CDK_OUTDIR: path.join(cwd, 'cdk.out') },
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(app.status).toBe(1);
    expect(`deployer: ${app.stderr}`).toBe(cli.stderr);
    expect(app.stderr.split('\n').filter((line) => line.startsWith('  deployer.config.yaml:'))).toEqual([
      expect.stringMatching(/^ {2}deployer\.config\.yaml:7:17: ecs\[0\]\.repository: a repository name without its registry/),
      expect.stringMatching(/^ {2}deployer\.config\.yaml:8:17: ecs\[0\]\.tagPattern: a glob of image tags/),
      '  deployer.config.yaml:9:5: ecs[1]: ECS service prod/web is already deployed by ecs[0] (web); two entries would deploy it at once',
    ]);
  });
});

describe('editor completion after the README copy step', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-copy-'));
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The README's two commands, run in `cwd` (the shell's `>` is the write of what `deployer schema` prints). */
  async function readmeCopyStep(): Promise<void> {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('cp examples/deployer.config.yaml deployer.config.yaml');
    expect(readme).toContain('npx deployer schema > deployer.config.schema.json');
    copyFileSync(path.join(REPO_ROOT, 'examples', 'deployer.config.yaml'), path.join(cwd, 'deployer.config.yaml'));
    const schema = await run('schema');
    writeFileSync(path.join(cwd, 'deployer.config.schema.json'), schema.stdout);
  }

  /** The schema an editor (yaml-language-server) loads for a config file: its modeline, resolved against the file's directory. */
  function schemaFor(configFile: string): { file: string; schema: object } {
    const ref = schemaReference(readFileSync(configFile, 'utf8'));
    if (ref === undefined) throw new Error(`${configFile} has no yaml-language-server modeline`);
    const file = fileURLToPath(new URL(ref, pathToFileURL(configFile)));
    return { file, schema: JSON.parse(readFileSync(file, 'utf8')) as object };
  }

  it('resolves the copy’s schema reference to the schema written next to it, which accepts the copy', async () => {
    // Prepare
    await readmeCopyStep();
    const copy = path.join(cwd, 'deployer.config.yaml');

    // Act
    const { file, schema } = schemaFor(copy);
    const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
    const valid = validate(parseDocument(readFileSync(copy, 'utf8')).toJS());

    // Assess
    expect(file).toBe(path.join(cwd, 'deployer.config.schema.json'));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('lets the editor flag what validate refuses: a service without tagPattern', async () => {
    // Prepare
    await readmeCopyStep();
    const copy = path.join(cwd, 'deployer.config.yaml');
    writeFileSync(copy, readFileSync(copy, 'utf8').replace(/^ {4}tagPattern: .*$/m, ''));

    // Act
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schemaFor(copy).schema);
    const valid = validate(parseDocument(readFileSync(copy, 'utf8')).toJS());

    // Assess
    expect(valid).toBe(false);
  });

  it('validates the copy without a note once the schema is next to it', async () => {
    // Prepare
    await readmeCopyStep();

    // Act
    const { code, stderr } = await run('validate');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('says how to get editor completion when the schema is missing or from another version', async () => {
    // Prepare
    await readmeCopyStep();
    rmSync(path.join(cwd, 'deployer.config.schema.json'));
    const missing = await run('validate');
    writeFileSync(path.join(cwd, 'deployer.config.schema.json'), '{}\n');

    // Act
    const stale = await run('validate');

    // Assess
    expect(missing.code).toBe(0);
    expect(missing.stderr).toBe(
      `note: deployer.config.yaml refers to its JSON Schema ./deployer.config.schema.json, which does not exist (${path.join(cwd, 'deployer.config.schema.json')}): run \`npx deployer schema > deployer.config.schema.json\` for editor completion\n`,
    );
    expect(stale.code).toBe(0);
    expect(stale.stderr).toBe(
      'note: deployer.config.schema.json is not the JSON Schema of this deployer version: run `npx deployer schema > deployer.config.schema.json` for editor completion\n',
    );
  });
});

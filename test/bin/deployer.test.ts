/**
 * The `deployer` command as a user runs it: exit codes (0 deployed, 1 rolled
 * back or failed, 2 bad arguments or config), `--json` as one object on
 * stdout, and errors that name what is wrong.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { digestOfTag } from '../../simulator/aws/ecr.ts';
import type { RehearsalReport } from '../../simulator/report.ts';
import { run } from '../support/cli-run.ts';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function report(stdout: string): RehearsalReport {
  return JSON.parse(stdout) as RehearsalReport;
}

describe('deployer simulate', () => {
  let cwd: string;
  beforeEach(() => {
    // A directory without deployer.config.yaml: the shipped example is rehearsed.
    cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-cli-'));
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits 0 and prints one JSON object when the deployment succeeds', async () => {
    // Act
    const { code, stdout } = await run('simulate', '--json');

    // Assess
    expect(code).toBe(0);
    const r = report(stdout);
    expect(r).toMatchObject({ status: 'SUCCEEDED', service: 'web', strategy: 'rolling' });
    expect(r.error).toBeUndefined();
    expect(r.states.slice(0, 2)).toEqual(['Restore?', 'ValidateInput']);
    expect(r.states.at(-1)).toBe('Deployed');
    expect(r.transitions).toBe(r.states.length);
    expect(r.virtualSeconds).toBeGreaterThan(300);
    expect(r.initial.services['prod/web']).toMatchObject({ taskDefinition: 'web:7', desiredCount: 3 });
    expect(r.final.services['prod/web']).toMatchObject({ taskDefinition: 'web:8', desiredCount: 3 });
    expect(r.final.services['prod/web']!.image).toMatch(/\/web@sha256:[0-9a-f]{64}$/);
    expect(r.final.listeners).toEqual(r.initial.listeners);
    expect(r.notifications.map((n) => n.split(':')[0])).toEqual(['Deployment Started', 'Deployment Succeeded']);
  });

  it.each([
    { flags: ['--unhealthy'], error: 'RolloutFailed' },
    { flags: ['--alarm', 'web-5xx-rate'], error: 'VerificationFailed' },
    { flags: ['--fail-at', 'UpdateService'], error: 'AwsCallFailed' },
  ])('exits 1 and leaves the service as it was with $flags', async ({ flags, error }) => {
    // Act
    const { code, stdout } = await run('simulate', 'web', ...flags, '--json');

    // Assess
    expect(code).toBe(1);
    const r = report(stdout);
    expect(r.status).toBe('ROLLED_BACK');
    expect(r.error?.error).toBe('RolledBack');
    expect(r.error?.cause).toContain(`${error}: `);
    expect(r.final).toEqual(r.initial);
  });

  // The example's ECS services; its VM services (api-vm, worker-vm, portal-vm) are rehearsed in simulate-vm.test.ts.
  it.each([
    { argv: ['checkout'], status: 'SUCCEEDED', code: 0 },
    { argv: ['checkout', '--reject'], status: 'ROLLED_BACK', code: 1 },
    { argv: ['checkout', '--bad-canary'], status: 'ROLLED_BACK', code: 1 },
    { argv: ['payments'], status: 'SUCCEEDED', code: 0 },
    { argv: ['payments', '--reject'], status: 'ROLLED_BACK', code: 1 },
    { argv: ['payments', '--bad-canary'], status: 'ROLLED_BACK', code: 1 },
  ])('rehearses the example $argv: $status, exit $code, the services and listeners back as they were unless it succeeded', async ({ argv, status, code }) => {
    // Act
    const result = await run('simulate', ...argv, '--json');

    // Assess
    expect(result.code).toBe(code);
    const r = report(result.stdout);
    expect(r.status).toBe(status);
    expect(r.steps.length).toBeGreaterThan(0);
    if (status !== 'SUCCEEDED') expect(r.final).toEqual(r.initial);
    expect(Object.keys(r.final.listeners).length).toBeGreaterThan(0);
  });

  it('stops at a state as the console would: ABORTED, exit 1, and the report shows the watcher\'s restore', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'checkout', '--stop-at', 'ShiftTraffic', '--json');

    // Assess
    expect(code).toBe(1);
    const r = report(stdout);
    expect(r.status).toBe('ABORTED');
    expect(r.restore).toMatchObject({ status: 'SUCCEEDED' });
    expect(r.restore?.states).toContain('RollbackWeights');
    expect(r.final).toEqual(r.initial);
  });

  it('reports a failure to check the input as FAILED with its cause (exit 1), not as a rejected input', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'web', '--fail-at', 'ValidateInput', '--json');

    // Assess
    expect(code).toBe(1);
    expect(report(stdout)).toMatchObject({ status: 'FAILED', error: { error: 'AwsCallFailed' } });
  });

  it('prints the report of a rejected input with --json, and exits 2', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'web', '--image', '123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:v1.1.0', '--json');

    // Assess
    expect(code).toBe(2);
    expect(report(stdout)).toMatchObject({ status: 'REJECTED', error: { error: 'InvalidInput', cause: expect.stringContaining("repository 'checkout' is not the one configured for web") } });
  });

  it('prints a readable timeline without --json', async () => {
    // Act
    const { code, stdout, stderr } = await run('simulate', 'web', '--unhealthy');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('rehearsing with the example');
    expect(stdout).toMatch(/\+\d\d:\d\d {2}CheckRollout +✗ RolloutFailed/);
    expect(stdout).toContain('Notifications (SNS):');
    expect(stdout).toContain('Result: ROLLED_BACK');
    expect(stdout).toContain('prod/web: web:7, 3 tasks');
  });

  it.each([
    { argv: ['simulate', 'nope'], message: "SERVICE: 'nope' is not in the config; services: web, orders-api, checkout, payments" },
    { argv: ['simulate', 'web', '--fail-at', 'LockAcquired?'], message: "--fail-at: 'LockAcquired?' is not a Task state" },
    { argv: ['simulate', 'web', '--fail-at', 'ShiftTraffic'], message: "--fail-at: 'ShiftTraffic' is not a Task state of ecs-rolling.asl.json (web is rolling)" },
    { argv: ['simulate', 'web', '--stop-at', 'Deployed'], message: "--stop-at: 'Deployed' is not a state of ecs-rolling.asl.json" },
    { argv: ['simulate', 'web', '--reject'], message: '--reject: web has no approval step to reject' },
    { argv: ['simulate', 'web', '--bad-canary'], message: '--bad-canary: web is a rolling deployment' },
    { argv: ['simulate', 'checkout', '--approve', '--reject'], message: '--approve and --reject: give one of them' },
    { argv: ['simulate', 'web', '--alarm', 'nope'], message: "--alarm: 'nope' is not watched by web" },
    { argv: ['simulate', 'web', '--image', 'nginx:latest'], message: "image: 'nginx:latest' is not an ECR image" },
    {
      argv: ['simulate', 'web', '--image', '999999999999.dkr.ecr.us-east-1.amazonaws.com/web:v1.4.0'],
      message: 'image: the image is in the ECR registry of account 999999999999, us-east-1, not the deployer\'s own (account 123456789012, us-east-1); web deploys images from 123456789012.dkr.ecr.us-east-1.amazonaws.com only. To deploy from that registry, name it in web\'s config: registry: { accountId: "999999999999", region: us-east-1 }',
    },
    { argv: ['simulate', '--config', 'missing.yaml'], message: 'pass the path of your config with `--config FILE`' },
  ])('exits 2 and names the problem for $argv', async ({ argv, message }) => {
    // Act
    const { code, stdout, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('exits 2 and lists every bad field of a config', async () => {
    // Prepare
    const file = path.join(cwd, 'bad.yaml');
    writeFileSync(file, 'ecs:\n  - name: web\n    strategy: rolling\n    cluster: prod\n    bakeSeconds: -1\n  - name: api\n    cluster: prod\n');

    // Act
    const { code, stderr } = await run('simulate', '--config', file);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('ecs[0].service: required');
    expect(stderr).toContain('ecs[0].repository: required');
    expect(stderr).toContain('ecs[0].tagPattern: required');
    expect(stderr).toContain('ecs[0].bakeSeconds');
    expect(stderr).toContain('ecs[1].strategy: must be one of "rolling", "canary", "blue-green"');
  });

  it('rehearses a service whose images come from another registry with an image of that registry', async () => {
    // Prepare
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(path.join(REPO_ROOT, 'examples/deployer.config.yaml'), 'utf8');
    const file = path.join(cwd, 'shared-registry.yaml');
    writeFileSync(file, example.replace(/^( {4}repository: web\b.*)$/m, '$1\n    registry: { accountId: "111122223333", region: eu-west-1 }'));

    // Act
    const { code, stdout } = await run('simulate', 'web', '--config', file, '--json');

    // Assess
    expect(code).toBe(0);
    expect(report(stdout).final.services['prod/web']?.image).toMatch(/^111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/web@sha256:/);
  });

  it('exits 2 on an unknown option', async () => {
    expect((await run('simulate', '--bogus')).code).toBe(2);
  });
});

describe('deployer simulate --input', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-input-'));
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A console input written to a file of the current directory. */
  function inputFile(input: unknown): string {
    const file = path.join(cwd, 'start.json');
    writeFileSync(file, typeof input === 'string' ? input : JSON.stringify(input));
    return file;
  }

  it('rehearses a console input naming a tag that --image pushed first: SUCCEEDED, exit 0', async () => {
    // Prepare
    const file = inputFile({ service: 'web', image: `${REGISTRY}/web:v1.4.0`, startedBy: 'alice', reason: 'hotfix for checkout' });

    // Act
    const { code, stdout } = await run('simulate', '--input', file, '--image', `${REGISTRY}/web:v1.4.0`, '--json');

    // Assess
    expect(code).toBe(0);
    const r = report(stdout);
    expect(r).toMatchObject({ status: 'SUCCEEDED', service: 'web', strategy: 'rolling' });
    expect(r.final.services['prod/web']!.image).toBe(`${REGISTRY}/web@${digestOfTag('web', 'v1.4.0')}`);
  });

  it("runs the service's own state machine, and accepts the example images without --image", async () => {
    // Prepare
    const file = inputFile({ service: 'checkout', image: `${REGISTRY}/checkout:v1.1.0` });

    // Act
    const { code, stdout } = await run('simulate', '--input', file, '--json');

    // Assess
    expect(code).toBe(0);
    expect(report(stdout)).toMatchObject({ status: 'SUCCEEDED', service: 'checkout', strategy: 'canary' });
  });

  it('rejects a tag nobody pushed, as ValidateInput does in AWS: REJECTED, exit 2, and says how to push it in a rehearsal', async () => {
    // Prepare
    const file = inputFile({ service: 'web', image: `${REGISTRY}/web:v9.9.9` });

    // Act
    const json = await run('simulate', '--input', file, '--json');
    const text = await run('simulate', '--input', file);

    // Assess
    expect(json.code).toBe(2);
    expect(report(json.stdout)).toMatchObject({ status: 'REJECTED', error: { error: 'InvalidInput' } });
    expect(report(json.stdout).final).toEqual(report(json.stdout).initial);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(
      `deployer: the deployment input was rejected: image: v9.9.9 was not found in ECR repository web; push it first or fix the tag (the simulated ECR holds the example images and what --image names: add --image ${REGISTRY}/web:v9.9.9 to push it first)\n`,
    );
  });

  it('starts the input exactly as given: a misspelt field is rejected as the console input would be', async () => {
    // Prepare
    const file = inputFile({ service: 'web', image: `${REGISTRY}/web:v1.1.0`, startedby: 'alice' });

    // Act
    const { code, stdout } = await run('simulate', '--input', file, '--json');

    // Assess
    expect(code).toBe(2);
    expect(report(stdout)).toMatchObject({ status: 'REJECTED', error: { cause: expect.stringContaining("unknown field 'startedby'") } });
  });

  it.each([
    { input: '{"service": "web",', argv: [], message: '--input: ' },
    { input: { service: 'web', image: `${REGISTRY}/web:v1.1.0` }, argv: ['checkout'], message: "SERVICE: 'checkout' but the --input names service 'web'" },
  ])('exits 2 naming the problem for $argv and $input', async ({ input, argv, message }) => {
    // Prepare
    const file = inputFile(input);

    // Act
    const { code, stderr } = await run('simulate', ...argv, '--input', file);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(`deployer: ${message}`);
  });

  it('exits 2 when the input file cannot be read', async () => {
    // Act
    const { code, stderr } = await run('simulate', '--input', path.join(cwd, 'missing.json'));

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--input: cannot read');
    expect(stderr).toContain('(ENOENT)');
  });
});

describe('deployer validate and schema', () => {
  it('ships the example with its JSON Schema next to it, up to date (npm run schema), so editors complete the copy too', async () => {
    // Prepare
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(path.join(REPO_ROOT, 'examples/deployer.config.yaml'), 'utf8');

    // Act
    const { stdout } = await run('schema');

    // Assess
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./deployer.config.schema.json');
    expect(readFileSync(path.join(REPO_ROOT, 'examples/deployer.config.schema.json'), 'utf8')).toBe(stdout);
  });

  it('validates the example and lists its services', async () => {
    const { code, stdout } = await run('validate', '--config', path.join(REPO_ROOT, 'examples/deployer.config.yaml'));
    expect(code).toBe(0);
    expect(stdout).toContain('web: rolling ECS prod/web container app, deploys web:v*');
    expect(stdout).toContain('checkout: canary ECS prod/checkout container app, deploys checkout:v*, 1 alarm(s), steps 10%/5m -> 25%/5m -> approval -> 50%/10m -> 100%/5m');
    expect(stdout).toContain('payments: blue-green ECS prod/payments-blue | payments-green');
    expect(stdout).toContain(
      'api-vm: rolling VM SSM instances tagged app=api,env=prod, deploys s3://acme-artifacts/api/*.tar.gz to /opt/api, 1 alarm(s), batches 25% -> 50% -> 100%, bake 5m',
    );
    expect(stdout).toContain('worker-vm: canary VM 3 SSM instance(s), deploys s3://acme-artifacts/worker/*.tar.gz to /opt/worker, 1 alarm(s), batches 1 -> 100% (canary bake 10m, approval)');
    expect(stdout).toContain('portal-vm: blue-green VM blue: SSM instances tagged app=portal,color=blue | green: SSM instances tagged app=portal,color=green');
  });

  it('prints a JSON Schema that describes the ecs services', async () => {
    const { code, stdout } = await run('schema');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: { ecs: { items: { oneOf: { required: string[]; properties: { strategy: { const: string } } }[] } } } };
    const strategies = schema.properties.ecs.items.oneOf;
    expect(strategies.map((s) => s.properties.strategy.const)).toEqual(['rolling', 'canary', 'blue-green']);
    for (const strategy of strategies) {
      expect(strategy.required).toEqual(expect.arrayContaining(['name', 'cluster', 'container', 'repository', 'tagPattern', 'strategy']));
    }
  });

  it('prints a JSON Schema that describes the VM services', async () => {
    const { code, stdout } = await run('schema');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: { vm: { items: { oneOf: { required: string[]; properties: { strategy: { const: string } } }[] } } } };
    const strategies = schema.properties.vm.items.oneOf;
    expect(strategies.map((s) => [s.properties.strategy.const, s.required])).toEqual([
      ['rolling', expect.arrayContaining(['name', 'strategy', 'artifacts', 'install', 'targets'])],
      ['canary', expect.arrayContaining(['name', 'strategy', 'artifacts', 'install', 'targets'])],
      ['blue-green', expect.arrayContaining(['name', 'strategy', 'artifacts', 'install', 'blue', 'green', 'loadBalancer'])],
    ]);
  });
});

describe('deployer --version', () => {
  it("prints the package's version and exits 0", async () => {
    // Prepare
    const { readFileSync } = await import('node:fs');
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

    // Act
    const { code, stdout } = await run('--version');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });
});

describe('bin/deployer.mjs', () => {
  it('ends quietly, exit 0, when the reader of its output goes away (`deployer schema | head`)', async () => {
    // Prepare: the reader closes the pipe before the CLI writes its first line (Node.js ignores SIGPIPE: the write fails with EPIPE).
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-pipe-'));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/deployer.mjs'), 'schema'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    // Act
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));

    // Assess
    expect(stderr).toBe('');
    expect(signal).toBeNull();
    expect(code).toBe(0);
  });

  it('runs the CLI when started through a node_modules/.bin link, with only the JSON report on stdout', async () => {
    // Prepare: npx starts the package bin through a link named `deployer`.
    const binDir = mkdtempSync(path.join(os.tmpdir(), 'deployer-bin-'));
    const link = path.join(binDir, 'deployer');
    symlinkSync(path.join(REPO_ROOT, 'bin/deployer.mjs'), link);

    // Act: on the Node.js the tests run on.
    const result = await promisify(execFile)(process.execPath, [link, 'simulate', '--json'], { cwd: binDir });

    // Assess
    expect(report(result.stdout).status).toBe('SUCCEEDED');
  });
});

/**
 * vm/release.sh given hostile or broken inputs and artifacts, run for real on
 * local hosts: refused before anything is touched, or harmless.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeConfigVars } from '../../lambdas/vm/release-environment.ts';
import { packDirectory, sha256File, type DemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import { runReleaseScript, type LocalHost } from '../../simulator/vm/local-host.ts';
import { demoArtifacts, demoHosts, deployOf, servedConfig, servedVersion } from '../support/vm-hosts.ts';

describe('the release script with hostile or broken inputs', () => {
  let root: string;
  let hosts: LocalHost[];
  let cleanup: () => Promise<void>;
  let a: Record<string, DemoArtifact>;
  let marker: string;

  beforeAll(async () => {
    ({ root, hosts, cleanup } = await demoHosts(3, 'deployer-hostile-'));
    a = await demoArtifacts(root, { v1: 'up', v2: 'up' });
    marker = path.join(root, 'pwned');
  });

  afterAll(async () => {
    await cleanup();
  });

  /** The env the schema would build for a good deploy of v1 on `host`, for raw edits. */
  function rawEnv(host: LocalHost, changes: Record<string, string>): Record<string, string> {
    return { ...host.environment(deployOf(a.v1!)), ...changes };
  }

  it.each([
    ['VERSION', `1;touch MARKER`],
    ['VERSION', '$(touch MARKER)'],
    ['VERSION', '..'],
    ['VERSION', '-rf'],
    ['INSTALL_DIR', '/tmp/x$(touch MARKER)'],
    ['INSTALL_DIR', '/tmp/../etc'],
    ['INSTALL_DIR', 'relative/dir'],
    ['INSTALL_DIR', '/tmp/with space'],
    ['ARTIFACT_URL', "https://example.com/a.tgz' -o /tmp/x '"],
    ['ARTIFACT_URL', 'https://example.com/`touch MARKER`'],
    ['ARTIFACT_URL', 'http://example.com/a.tgz'],
    ['ARTIFACT_SHA256', 'abc; touch MARKER'],
    ['SERVICE_NAME', 'demo$(touch MARKER)'],
    ['KEEP_RELEASES', '1'],
    ['KEEP_RELEASES', '2; touch MARKER'],
    ['USE_SUDO', 'yes'],
    ['OWNER', 'root;touch MARKER'],
    ['HEALTH_URL', 'http://127.0.0.1/$(touch MARKER)'],
    ['HEALTH_INTERVAL_SECONDS', '1;touch MARKER'],
    ['CONFIG_TARGET', '../../outside.conf'],
    ['CONFIG_TEMPLATE', '/etc/passwd'],
    ['CONFIG_VARS', encodeConfigVars({ 'A;touch MARKER': 'x' })],
    ['CONFIG_VARS', Buffer.from('lower=x\n').toString('base64')],
    ['CONFIG_VARS', 'not base64 $(touch MARKER)'],
    ['DEPLOYER_MODE', 'deploy;touch MARKER'],
  ])('refuses %s=%j itself, before touching anything (exit 2)', async (name, value) => {
    // Prepare
    const host = hosts[0]!;
    const env = rawEnv(host, { [name]: value.replaceAll('MARKER', marker) });

    // Act
    const run = await runReleaseScript(env);

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'validate' });
    expect(run.verdict.message).toContain(name);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(host.installDir)).toBe(false);
  });

  it('renders config values as text: substitutions, quotes and placeholders in a value stay literal', async () => {
    // Prepare
    const host = hosts[1]!;
    const message = `$(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; ' & \\1 {{PORT}} "quoted"`;

    // Act
    const run = await host.release({ ...deployOf(a.v1!), configVars: { PORT: String(host.port), MESSAGE: message } });

    // Assess
    expect(run.verdict.status).toBe('SUCCEEDED');
    expect(await servedConfig(host)).toBe(`port=${host.port}\nmessage=${message}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps deployment inputs away from the service commands', async () => {
    // Prepare: a start command that records the environment it sees.
    const host = hosts[1]!;
    const seen = path.join(root, 'start-env');
    const startCommand = `env > ${seen}; "$INSTALL_DIR/current/bin/start"`;

    // Act
    const run = await host.release({ ...deployOf(a.v2!), startCommand });

    // Assess
    expect(run.verdict.status).toBe('SUCCEEDED');
    const names = readFileSync(seen, 'utf8').split('\n').map((line) => line.split('=')[0]);
    expect(names).toContain('INSTALL_DIR');
    expect(names).toContain('SERVICE_NAME');
    for (const name of ['VERSION', 'ARTIFACT_URL', 'ARTIFACT_SHA256', 'CONFIG_VARS', 'SMOKE_COMMANDS']) expect(names).not.toContain(name);
  });

  it('does not wait for a service that keeps the start command\'s output open', async () => {
    // Prepare: the start command leaves a child holding its stdout and stderr.
    const host = hosts[2]!;
    const startCommand = '"$INSTALL_DIR/current/bin/start"; sleep 30 &';

    // Act
    const run = await host.release({ ...deployOf(a.v1!), startCommand }, { timeoutMs: 30_000 });

    // Assess
    expect(run.timedOut).toBe(false);
    expect(run.verdict.status).toBe('SUCCEEDED');
  });

  it('refuses a template placeholder that CONFIG_VARS does not define, before the stop', async () => {
    // Prepare
    const host = hosts[2]!;

    // Act
    const run = await host.release({ ...deployOf(a.v2!), configVars: { PORT: String(host.port) } });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'configure', current: 'v1' });
    expect(run.outcome.tail).toContain('{{MESSAGE}}');
    expect(await servedVersion(host)).toBe('v1');
  });

  async function evilArtifact(name: string, build: (dir: string) => void, tarArgs: string[] = []): Promise<{ url: string; sha: string }> {
    const dir = await mkdtemp(path.join(root, `evil-${name}-`));
    const content = path.join(dir, 'content');
    mkdirSync(content);
    build(content);
    const archive = path.join(dir, `${name}.tar.gz`);
    await packDirectory(content, archive, tarArgs);
    return { url: `file://${archive}`, sha: await sha256File(archive) };
  }

  it.each([
    ['a path with ..', (dir: string) => writeFileSync(path.join(dir, 'x'), 'x'), ['--transform', 's,^\\./x,../../escaped,']],
    ['an absolute path', (dir: string) => writeFileSync(path.join(dir, 'x'), 'x'), ['--transform', 's,^\\./x,/tmp/escaped,', '--absolute-names']],
    ['a link leading outside the release', (dir: string) => symlinkSync('/etc', path.join(dir, 'etc-link')), []],
  ] as const)('refuses an artifact with %s, before the stop', async (what, build, tarArgs) => {
    // Prepare
    const host = hosts[2]!;
    const evil = await evilArtifact(what.replace(/\W+/g, '-'), build, [...tarArgs]);

    // Act
    const run = await host.release({ version: 'evil', artifactUrl: evil.url, artifactSha256: evil.sha });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'unpack', current: 'v1' });
    expect(run.verdict.message).toContain(what === 'a link leading outside the release' ? 'link leading outside' : what === 'an absolute path' ? 'absolute path' : 'path with ..');
    expect(existsSync(path.join(host.installDir, 'releases', 'evil'))).toBe(false);
    expect(await servedVersion(host)).toBe('v1');
  });

  /** Hold the script's lock on `host` for `ms`, as a run still ending would; resolves once it is taken, with its release. */
  async function holdLock(host: LocalHost, ms: number): Promise<{ released: Promise<unknown> }> {
    const lock = path.join(host.installDir, '.deployer', 'lock');
    const holder = spawn('flock', ['-n', lock, 'sleep', String(ms / 1000)], { stdio: 'ignore' });
    const released = new Promise((resolve) => holder.once('exit', resolve));
    // Taken once a try of the lock fails (a loaded machine may take a while to start the holder).
    while (spawnSync('flock', ['-n', lock, 'true']).status === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    return { released };
  }

  it('refuses a second run on the same INSTALL_DIR while one holds the lock', async () => {
    // Prepare: hold the script's lock as a concurrent run would.
    const host = hosts[2]!;
    const { released } = await holdLock(host, 2_000);

    // Act
    const run = await host.release(deployOf(a.v2!));

    // Assess
    await released;
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'preflight', current: 'v1' });
    expect(run.verdict.message).toContain('another release script is running');
    expect(await servedVersion(host)).toBe('v1');
  });

  it('waits LOCK_WAIT_SECONDS for the run holding the lock to end, then does its work (a rollback after a stop)', async () => {
    // Prepare
    const host = hosts[2]!;
    const { released } = await holdLock(host, 2_000);

    // Act
    const run = await host.release({ mode: 'rollback', rollbackTo: 'v1', lockWaitSeconds: 30 }, { timeoutMs: 20_000 });

    // Assess
    await released;
    expect(run.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v1', mode: 'rollback' });
    expect(run.outcome.tail).toContain('waiting up to 30s for it to end');
    expect(await servedVersion(host)).toBe('v1');
  });

  it('gives up after LOCK_WAIT_SECONDS when the run holding the lock goes on', async () => {
    // Prepare
    const host = hosts[2]!;
    const { released } = await holdLock(host, 4_000);

    // Act
    const run = await host.release({ mode: 'rollback', rollbackTo: 'v1', lockWaitSeconds: 1 }, { timeoutMs: 20_000 });

    // Assess
    await released;
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'preflight', current: 'v1' });
    expect(run.verdict.message).toContain('another release script is still running');
    expect(run.verdict.message).toContain('after 1s');
  });

  it('checks free disk space first', async () => {
    // Prepare
    const host = hosts[2]!;

    // Act
    const run = await host.release({ ...deployOf(a.v2!), minFreeMb: 999_999 });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'preflight', current: 'v1' });
    expect(run.verdict.message).toContain('999999 MB needed');
    expect(await servedVersion(host)).toBe('v1');
  });
});

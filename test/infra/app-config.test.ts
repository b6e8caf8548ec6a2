import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileMissing, loadConfigFile } from '../../infra/load-config.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { ConfigError } from '../../lambdas/shared/config.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deployer-app-config-'));

function writeConfig(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const BAD_CONFIG = `
ecs:
  - name: Web_App
    cluster: prod
    service: web
    container: app
    repository: web
    tagPattern: "v*"
    strategy: rolling
    bakeSeconds: -5
`;

/** Run bin/app.ts as `cdk synth` would, with `-c config=...` (no bundling happens before the config is valid). */
function runApp(context: Record<string, unknown>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: path.join(tmp, 'out') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('loadConfigFile', () => {
  it('loads the example config', () => {
    const config = loadConfigFile('examples/deployer.config.yaml', REPO_ROOT);
    expect(config.ecs.map((s) => s.name)).toEqual(['web', 'orders-api', 'checkout', 'payments']);
  });

  it('tells the user how to get a config when the file does not exist', () => {
    const error = (() => {
      try {
        loadConfigFile('deployer.config.yaml', tmp);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigFileMissing);
    expect((error as Error).message).toContain("'deployer.config.yaml'");
    expect((error as Error).message).toContain('examples/deployer.config.yaml');
    expect((error as Error).message).toContain('-c config=PATH');
  });

  it('refuses a directory', () => {
    expect(() => loadConfigFile(tmp)).toThrow(ConfigFileMissing);
  });

  it('names every bad field', () => {
    const file = writeConfig('bad.yaml', BAD_CONFIG);
    try {
      loadConfigFile(file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems.some((p) => p.startsWith('ecs[0].name:'))).toBe(true);
      expect(problems.some((p) => p.startsWith('ecs[0].bakeSeconds:'))).toBe(true);
    }
  });

  it('reports YAML syntax errors', () => {
    const file = writeConfig('syntax.yaml', 'ecs: [\n  - name: web\n');
    expect(() => loadConfigFile(file)).toThrow(/YAML syntax/);
  });
});

describe('bin/app.ts', () => {
  it('exits 1 naming the bad fields of the config', () => {
    const { status, stderr } = runApp({ config: writeConfig('bad-app.yaml', BAD_CONFIG) });
    expect(status).toBe(1);
    expect(stderr).toContain('ecs[0].name');
    expect(stderr).toContain('ecs[0].bakeSeconds');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it('exits 1 with a hint when the config file does not exist', () => {
    const { status, stderr } = runApp({ config: path.join(tmp, 'missing.yaml') });
    expect(status).toBe(1);
    expect(stderr).toContain('missing.yaml');
    expect(stderr).toContain('examples/deployer.config.yaml');
    expect(stderr).toContain('-c config=PATH');
  });

  it('names the cluster field when a cluster ARN is malformed', () => {
    const file = writeConfig(
      'bad-cluster.yaml',
      'ecs:\n  - { name: web, strategy: rolling, cluster: "arn:aws:ecs:us-east-1:123456789012:service/prod/web", service: web, container: app, repository: web, tagPattern: "v*" }\n',
    );
    const { status, stderr } = runApp({ config: file });
    expect(status).toBe(1);
    expect(stderr).toContain('ecs[0].cluster');
  });
});

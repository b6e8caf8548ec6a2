/**
 * The release script's inputs in TypeScript: refused with the field's name
 * before any host is touched, by the same rules as the script's own.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeConfigVars,
  parseReleaseInput,
  releaseEnvironment,
  releaseEnvironmentFrom,
  type ReleaseInputSource,
} from '../../lambdas/vm/release-environment.ts';
import { runReleaseScript } from '../../simulator/vm/local-host.ts';

const SHA = 'a'.repeat(64);
const root = mkdtempSync(path.join(os.tmpdir(), 'deployer-env-'));
/** A deploy that validates and then fails to download (no such file): exit 1, not 2. */
const BASE: ReleaseInputSource = {
  serviceName: 'web',
  version: 'v1.2.3',
  artifactUrl: `file://${root}/missing.tar.gz`,
  artifactSha256: SHA,
  installDir: `${root}/app`,
  startCommand: 'true',
  stopCommand: 'true',
  healthUrl: 'http://127.0.0.1:1/health',
};

describe('release inputs', () => {
  it('builds the environment the script reads, with defaults and CONFIG_VARS encoded', () => {
    // Prepare
    const input = { ...BASE, artifactSha256: SHA.toUpperCase(), configTemplate: 'app.conf.tmpl', configTarget: 'app.conf', configVars: { PORT: '8080', GREETING: 'a=b c' }, smokeCommands: ['curl -f localhost', 'true'] };

    // Act
    const env = releaseEnvironmentFrom(input);

    // Assess
    expect(env).toMatchObject({
      DEPLOYER_MODE: 'deploy',
      SERVICE_NAME: 'web',
      VERSION: 'v1.2.3',
      ARTIFACT_SHA256: SHA,
      KEEP_RELEASES: '5',
      USE_SUDO: 'false',
      HEALTH_RETRIES: '10',
      HEALTH_INTERVAL_SECONDS: '3',
      SMOKE_COMMANDS: 'curl -f localhost\ntrue',
      CONFIG_TEMPLATE: 'app.conf.tmpl',
      CONFIG_TARGET: 'app.conf',
    });
    expect(Buffer.from(env.CONFIG_VARS!, 'base64').toString('utf8')).toBe('PORT=8080\nGREETING=a=b c');
    expect(env).not.toHaveProperty('OWNER');
    expect(env).not.toHaveProperty('ROLLBACK_TO');
  });

  it('defaults service control to systemd', () => {
    // Prepare
    const input = { ...BASE, startCommand: undefined, stopCommand: undefined };

    // Act
    const env = releaseEnvironment(parseReleaseInput(input));

    // Assess
    expect([env.START_COMMAND, env.STOP_COMMAND]).toEqual(['systemctl start "$SERVICE_NAME"', 'systemctl stop "$SERVICE_NAME"']);
  });

  it('needs no artifact to roll back', () => {
    // Prepare
    const input = { mode: 'rollback', serviceName: 'web', installDir: '/opt/web', rollbackTo: 'v1' };

    // Act
    const env = releaseEnvironmentFrom(input);

    // Assess
    expect(env).toMatchObject({ DEPLOYER_MODE: 'rollback', ROLLBACK_TO: 'v1' });
    expect(env).not.toHaveProperty('ARTIFACT_URL');
  });

  it('names every bad field, and what to do', () => {
    // Prepare
    const input = { ...BASE, version: '1;touch /tmp/pwned', installDir: '/opt/../etc', artifactSha256: undefined, configVars: { 'bad-key': 'x' }, speed: 'fast' };

    // Act
    const refuse = () => parseReleaseInput(input, 'host web-1');

    // Assess
    expect(refuse).toThrow(
      expect.objectContaining({
        name: 'InvalidInput',
        message: expect.stringMatching(/host web-1\.version: must be letters, digits[\s\S]*host web-1\.installDir: must be an absolute path[\s\S]*host web-1\.configVars\.bad-key[\s\S]*unknown field 'speed'/),
      }),
    );
  });

  it('asks for the artifact fields only to deploy, and for template and target together', () => {
    // Prepare
    const input = { serviceName: 'web', installDir: '/opt/web', configTemplate: 'a.tmpl' };

    // Act
    const refuse = () => parseReleaseInput(input);

    // Assess
    expect(refuse).toThrow(/release\.version: required to deploy[\s\S]*release\.artifactUrl: required[\s\S]*release\.artifactSha256: required[\s\S]*release\.configTarget: required with configTemplate/);
  });
});

/** The env var a field becomes, with `value` written as the schema would (no validation). */
function rawEnv(field: keyof ReleaseInputSource, value: unknown): Record<string, string> {
  const env = releaseEnvironmentFrom(BASE);
  const envName = field === 'mode' ? 'DEPLOYER_MODE' : field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  if (field === 'configVars') return { ...env, CONFIG_VARS: encodeConfigVars(value as Record<string, string>), CONFIG_TEMPLATE: 'a.tmpl', CONFIG_TARGET: 'a.conf' };
  if (field === 'configTemplate') return { ...env, CONFIG_TEMPLATE: String(value), CONFIG_TARGET: 'a.conf' };
  return { ...env, [envName]: Array.isArray(value) ? value.join('\n') : String(value) };
}

describe('the same rules in the schema and in the script', () => {
  const cases: [keyof ReleaseInputSource, unknown, boolean][] = [
    ['version', 'v1.2.3-rc.1_b', true],
    ['version', 'a'.repeat(64), true],
    ['version', 'a'.repeat(65), false],
    ['version', '1;touch /tmp/pwned', false],
    ['version', '..', false],
    ['version', '-rf', false],
    ['version', 'vé', false],
    ['serviceName', 'web-api@2', true],
    ['serviceName', 'web api', false],
    ['installDir', `${root}/opt_1/app-2.x`, true],
    ['installDir', `${root}/app/`, false],
    ['installDir', `${root}//app`, false],
    ['installDir', `${root}/./app`, false],
    ['installDir', `${root}/.hidden`, false],
    ['installDir', '/', false],
    ['installDir', `/${'a'.repeat(200)}`, false],
    // A presigned URL's shape, on a local port nothing listens on (the download fails at once).
    ['artifactUrl', 'https://127.0.0.1:1/web/app.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab%2Fcd', true],
    ['artifactUrl', 'https://host/a b.tgz', false],
    ['artifactUrl', 'https://host/a"b.tgz', false],
    ['artifactUrl', 'ftp://host/a.tgz', false],
    ['artifactUrl', 'file://host/a.tgz', false],
    ['artifactSha256', SHA.toUpperCase(), true],
    ['artifactSha256', SHA.slice(1), false],
    ['keepReleases', 2, true],
    ['keepReleases', 1, false],
    ['owner', 'app:www-data', true],
    ['owner', 'App', false],
    ['minFreeMb', 0, true],
    ['healthUrl', 'https://127.0.0.1:8443/health?deep=1', true],
    ['healthUrl', 'http://host/<x>', false],
    ['healthExpect', '"status":"UP"', true],
    ['healthExpect', 'two\nlines', false],
    ['healthRetries', 0, false],
    ['healthIntervalSeconds', 0.25, true],
    ['healthIntervalSeconds', 0.0001, false],
    ['healthIntervalSeconds', 10_000, false],
    ['configVars', { DB_URL: 'postgres://u:p@h/db?x=$(y)' }, true],
    ['configVars', { 'db-url': 'x' }, false],
    ['configVars', { DB: 'two\nlines' }, false],
    ['configTemplate', 'conf/app.tmpl', true],
    ['configTemplate', '../app.tmpl', false],
    ['mode', 'undeploy', false],
  ];

  it.each(cases)('%s = %j: accepted %s by both', async (field, value, accepted) => {
    // Prepare
    const input = { ...BASE, [field]: value, ...(field === 'configVars' ? { configTemplate: 'a.tmpl', configTarget: 'a.conf' } : {}), ...(field === 'configTemplate' ? { configTarget: 'a.conf' } : {}) };

    // Act
    const schema = (() => {
      try {
        parseReleaseInput(input);
        return true;
      } catch {
        return false;
      }
    })();
    const script = await runReleaseScript(rawEnv(field, value));

    // Assess
    expect(schema).toBe(accepted);
    // Valid inputs get past validation (and fail to download the missing artifact: exit 1).
    expect(script.exitCode).toBe(accepted ? 1 : 2);
    expect(script.verdict.phase).toBe(accepted ? 'download' : 'validate');
  });
});

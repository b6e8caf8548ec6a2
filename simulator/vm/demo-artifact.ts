/**
 * A tiny HTTP app packaged the way a team packages a release for VM hosts:
 * `app-<version>.tar.gz`, with its files at the archive's root:
 *
 * - `server.cjs`: Node.js, no dependencies; serves `{"version": ..., "status": "UP"}`
 *   on `/health`, the rendered config on `/config`, on the port of its config;
 * - `app.conf.tmpl`: the config template (`port={{PORT}}`, `message={{MESSAGE}}`),
 *   rendered by the release script into `app.conf`;
 * - `bin/start`, `bin/stop`: service control for hosts without systemd (the app
 *   runs in its own session; its pid and log live in `INSTALL_DIR/run`).
 *
 * Used by the tests and the local rehearsal; `health: 'down' | 'crash'`
 * builds a release that fails its health check.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { RELEASE_PATTERNS, type ReleaseInputSource } from '../../lambdas/vm/release-environment.ts';
import { shellQuote } from '../../lambdas/vm/shell-text.ts';

const run = promisify(execFile);

/** How the app of a release behaves. */
export type DemoHealth = 'up' | 'down' | 'crash';

export interface DemoArtifactOptions {
  version: string;
  /** Directory the archive is written to (default: a new temporary directory). */
  dir?: string;
  /** `down`: /health answers 503; `crash`: the app exits as it starts. Default `up`. */
  health?: DemoHealth;
  /** The Node.js binary `bin/start` runs (default: this process's). */
  node?: string;
}

export interface DemoArtifact {
  version: string;
  path: string;
  sha256: string;
  /** `file://` URL of the archive, as the release script accepts for a rehearsal. */
  url: string;
}

function serverSource(version: string, health: DemoHealth): string {
  return `'use strict';
// Demo app ${version}: no dependencies.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const VERSION = ${JSON.stringify(version)};
const HEALTH = ${JSON.stringify(health)};
const raw = fs.readFileSync(path.join(__dirname, 'app.conf'), 'utf8');
const conf = {};
for (const line of raw.split('\\n')) {
  const at = line.indexOf('=');
  if (at > 0) conf[line.slice(0, at)] = line.slice(at + 1);
}
if (HEALTH === 'crash') {
  console.error('demo app ' + VERSION + ': crashing on purpose');
  process.exit(1);
}
const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    if (HEALTH === 'down') json(res, 503, { version: VERSION, status: 'DOWN' });
    else json(res, 200, { version: VERSION, status: 'UP' });
  } else if (req.url === '/config') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(raw);
  } else if (req.url === '/') {
    json(res, 200, { version: VERSION, message: conf.message ?? '' });
  } else {
    json(res, 404, { error: 'not found' });
  }
});
server.listen(Number(conf.port), '127.0.0.1', () => console.log('demo app ' + VERSION + ' on port ' + conf.port));
// Exit at once: open keep-alive connections must not hold a stop up.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;
}

function startScript(node: string): string {
  return `#!/usr/bin/env bash
# Start this release's demo app in its own session; pid and log in INSTALL_DIR/run.
set -eu
release=$(cd "$(dirname "$0")/.." && pwd -P)
run="$INSTALL_DIR/run"
mkdir -p "$run"
setsid ${shellQuote(node)} "$release/server.cjs" >>"$run/app.log" 2>&1 </dev/null &
echo $! >"$run/app.pid"
`;
}

const STOP_SCRIPT = `#!/usr/bin/env bash
# Stop the demo app started by bin/start, and wait until it has exited.
set -u
pidfile="$INSTALL_DIR/run/app.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
# An exited app may stay a zombie until init reaps it: that is gone too.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.05
  done
  if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
fi
rm -f "$pidfile"
`;

/** Write the release's files into `dir`. */
async function writeRelease(dir: string, version: string, health: DemoHealth, node: string): Promise<void> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await writeFile(path.join(dir, 'server.cjs'), serverSource(version, health));
  await writeFile(path.join(dir, 'app.conf.tmpl'), 'port={{PORT}}\nmessage={{MESSAGE}}\n');
  await writeFile(path.join(dir, 'VERSION'), `${version}\n`);
  await writeFile(path.join(dir, 'bin', 'start'), startScript(node));
  await writeFile(path.join(dir, 'bin', 'stop'), STOP_SCRIPT);
  await chmod(path.join(dir, 'bin', 'start'), 0o755);
  await chmod(path.join(dir, 'bin', 'stop'), 0o755);
}

/** The sha256 (hex) of a file. */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/**
 * Pack `source` (a directory) as a tar.gz whose entries are relative (`./...`),
 * with fixed owners and times, so the same files give the same sha256.
 */
export async function packDirectory(source: string, archive: string, extraTarArgs: readonly string[] = []): Promise<void> {
  await run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', ...extraTarArgs, '-czf', archive, '-C', source, '.']);
}

/** Build `app-<version>.tar.gz` of the demo app. */
export async function buildDemoArtifact(options: DemoArtifactOptions): Promise<DemoArtifact> {
  if (!RELEASE_PATTERNS.version.test(options.version)) throw new TypeError(`'${options.version}' is not a valid release version`);
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'deployer-artifact-')));
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(path.join(dir, '.staging-'));
  try {
    await writeRelease(staging, options.version, options.health ?? 'up', options.node ?? process.execPath);
    const archive = path.join(dir, `app-${options.version}.tar.gz`);
    await packDirectory(staging, archive);
    return { version: options.version, path: archive, sha256: await sha256File(archive), url: pathToFileURL(archive).href };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The release inputs a host of the demo app needs, listening on `port`:
 * service control by `bin/start` and `bin/stop`, config rendered with PORT,
 * health on `/health` expecting `"status":"UP"`.
 */
export function demoServiceSettings(port: number, message = 'hello'): Partial<ReleaseInputSource> {
  return {
    startCommand: '"$INSTALL_DIR/current/bin/start"',
    stopCommand: '"$INSTALL_DIR/current/bin/stop"',
    healthUrl: `http://127.0.0.1:${port}/health`,
    healthExpect: '"status":"UP"',
    configTemplate: 'app.conf.tmpl',
    configTarget: 'app.conf',
    configVars: { PORT: String(port), MESSAGE: message },
  };
}

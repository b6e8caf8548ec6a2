/**
 * Hosts for the VM tests: each its own directory (INSTALL_DIR) and port on
 * this machine, running the demo app; reached locally or through the test sshd.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildDemoArtifact, demoServiceSettings, type DemoArtifact, type DemoHealth } from '../../simulator/vm/demo-artifact.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { LocalHost } from '../../simulator/vm/local-host.ts';

/** Health checked quickly: a failing release is rolled back within a few seconds. */
export const FAST_HEALTH = { healthRetries: 12, healthIntervalSeconds: 0.25 } as const;

/** A scratch directory with `count` demo hosts in it. */
export async function demoHosts(count: number, prefix = 'deployer-hosts-'): Promise<{ root: string; hosts: LocalHost[]; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const hosts: LocalHost[] = [];
  for (let i = 1; i <= count; i += 1) {
    const port = await freePort();
    hosts.push(
      new LocalHost({
        name: `host-${i}`,
        dir: path.join(root, `host-${i}`),
        port,
        defaults: { serviceName: 'demo', ...demoServiceSettings(port), ...FAST_HEALTH },
      }),
    );
  }
  const cleanup = async (): Promise<void> => {
    await Promise.all(hosts.map((host) => host.stopService()));
    await rm(root, { recursive: true, force: true });
  };
  return { root, hosts, cleanup };
}

/** Demo artifacts by version, built once into `dir`. */
export async function demoArtifacts(dir: string, versions: Record<string, DemoHealth>): Promise<Record<string, DemoArtifact>> {
  const out: Record<string, DemoArtifact> = {};
  for (const [version, health] of Object.entries(versions)) {
    out[version] = await buildDemoArtifact({ version, dir: path.join(dir, 'artifacts'), health });
  }
  return out;
}

/** The inputs deploying `artifact` takes. */
export function deployOf(artifact: DemoArtifact): { version: string; artifactUrl: string; artifactSha256: string } {
  return { version: artifact.version, artifactUrl: artifact.url, artifactSha256: artifact.sha256 };
}

/** What the host's app answers on /health, over HTTP (undefined when nothing answers). */
export async function servedVersion(host: LocalHost): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${host.port}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { version?: string; status?: string };
    return response.ok && body.status === 'UP' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

/** The rendered config the host's app serves on /config. */
export async function servedConfig(host: LocalHost): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${host.port}/config`, { signal: AbortSignal.timeout(2_000) });
  return response.text();
}

/** The pid of the host's running app (its pid file), to tell whether it was restarted. */
export function appPid(host: LocalHost): string | undefined {
  const file = path.join(host.installDir, 'run', 'app.pid');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

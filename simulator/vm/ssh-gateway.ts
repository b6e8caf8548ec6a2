/**
 * What stands between the rehearsal's sshd and its hosts: the sshd's
 * ForceCommand, a small script that sends each session's input (the script
 * the SSH Lambda sent on stdin) to this gateway, an HTTP server on a
 * loopback port inside the rehearsal's process, and runs what comes back.
 *
 * The gateway does for SSH what the simulated SSM agent does for commands
 * (see `rewritePresignedUrls`): a rehearsal's hosts have no network, so each
 * presigned URL of the simulated S3 becomes the `file:///` URL of a local
 * copy of the object, checked at the virtual time the host runs it (an
 * expired URL, or a missing object, is refused as S3 would). And virtual
 * time waits for the real work: a detached run (the release script started
 * by StartSshBatch) holds the clock until its exit code is written, so the
 * state machine's polling Waits do not race past a script that is still
 * running.
 *
 * The sessions run with HOME in the gateway's directory, so the detached
 * runs' directories (`~/.deployer-runs`) stay out of the user's home.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { shellQuote } from '../../lambdas/vm/shell-text.ts';
import { rewritePresignedUrls } from '../aws/world-vm.ts';
import type { SimS3 } from '../aws/s3.ts';

/** The rehearsal a gateway serves: its S3, its virtual time, and the hold on it. */
export interface GatewayWorld {
  s3: SimS3;
  now: () => number;
  /** Hold the virtual clock; returns the function that lets it go. */
  hold: () => () => void;
}

export interface SshGateway {
  /** The script to give sshd as its ForceCommand. */
  forceCommand: string;
  /** HOME of the sessions (the detached runs live in its `.deployer-runs`). */
  home: string;
  /** Serve this rehearsal from now on (a gateway outlives a rehearsal: one sshd serves several). */
  bind(world: GatewayWorld): void;
  /** Stop serving a rehearsal: the holds it has are let go, sessions are refused until the next bind. */
  unbind(): void;
  close(): Promise<void>;
}

/** How often a held detached run is looked at. */
const RUN_POLL_MS = 50;
/** A session's input larger than this is refused (the release script with its inputs is a few tens of KB). */
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

function wrapperScript(port: number, home: string): string {
  return `#!/usr/bin/env bash
# ForceCommand of the rehearsal's sshd: the session's input goes through the
# rehearsal's gateway (presigned S3 URLs become local files) and then runs as
# the client asked (SSH_ORIGINAL_COMMAND).
set -u
gateway=http://127.0.0.1:${port}
export HOME=${shellQuote(home)}
cd "$HOME" || exit 255
session="$$-$RANDOM$RANDOM"
if ! text=$(curl -fsS --max-time 60 --data-binary @- "$gateway/begin?session=$session"); then
  echo 'rehearsal: the SSH gateway refused the session (is a rehearsal running?)' >&2
  exit 255
fi
bash -c "\${SSH_ORIGINAL_COMMAND:-true}" <<<"$text"
code=$?
curl -fsS --max-time 60 -X POST "$gateway/end?session=$session" >/dev/null || true
exit "$code"
`;
}

/** Whether a process with this pid runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Start a gateway; give `forceCommand` to the sshd, then `bind` each rehearsal. */
export async function startSshGateway(): Promise<SshGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-ssh-gateway-'));
  const home = path.join(dir, 'home');
  await mkdir(home, { mode: 0o700 });
  const runsDir = path.join(home, '.deployer-runs');
  let world: GatewayWorld | undefined;
  /** Detached runs holding the clock, by run directory. */
  const held = new Map<string, () => void>();
  let timer: NodeJS.Timeout | undefined;

  /** The pid a detached run wrote (0, never alive, when it cannot be read). */
  const pidOf = (run: string): number => {
    try {
      return Number(readFileSync(path.join(runsDir, run, 'pid'), 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  };
  const release = (run: string): void => {
    held.get(run)?.();
    held.delete(run);
    if (held.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const watch = (): void => {
    for (const run of [...held.keys()]) {
      if (existsSync(path.join(runsDir, run, 'exit-code')) || !alive(pidOf(run))) release(run);
    }
  };
  /** Hold the clock for each detached run that started and has not ended. */
  const holdNewRuns = (bound: GatewayWorld): void => {
    if (!existsSync(runsDir)) return;
    for (const run of readdirSync(runsDir)) {
      if (held.has(run)) continue;
      if (existsSync(path.join(runsDir, run, 'exit-code')) || !alive(pidOf(run))) continue;
      held.set(run, bound.hold());
      timer ??= setInterval(watch, RUN_POLL_MS);
    }
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://gateway');
    const answer = (status: number, body: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(body);
    };
    const bound = world;
    if (bound === undefined) {
      answer(503, 'no rehearsal is running\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_INPUT_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_INPUT_BYTES) {
        answer(413, `input over ${MAX_INPUT_BYTES} bytes\n`);
      } else if (url.pathname === '/begin') {
        answer(200, rewritePresignedUrls(bound.s3, Buffer.concat(chunks).toString('utf8'), bound.now()));
      } else if (url.pathname === '/end') {
        // Before the session ends (the SSH Lambda sees its result), so no Wait can start before the hold.
        holdNewRuns(bound);
        answer(200, 'ok\n');
      } else {
        answer(404, 'not found\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const forceCommand = path.join(dir, 'force-command.sh');
  await writeFile(forceCommand, wrapperScript(port, home));
  await chmod(forceCommand, 0o755);

  const unbind = (): void => {
    for (const run of [...held.keys()]) release(run);
    world = undefined;
  };
  return {
    forceCommand,
    home,
    bind: (next) => {
      unbind();
      world = next;
    },
    unbind,
    close: async () => {
      unbind();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A real OpenSSH sshd on a loopback port, as the current user (root
 * included), with a host key and a client key generated for the run, no PAM,
 * and only that key accepted. The SSH tests and the rehearsal of SSH hosts
 * (`deployer simulate --ssh`) reach their "hosts" (directories and ports on
 * this machine) through it. It needs OpenSSH's server installed; it never
 * needs root.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = 'ssh-keygen';

export const SSHD_INSTALL_HINT = 'install OpenSSH\'s server: sudo apt-get install -y openssh-server (Debian/Ubuntu)';

/** Whether the SSH tests can run here, and if not, why. */
export function sshdAvailability(): { available: true } | { available: false; reason: string } {
  if (!existsSync(SSHD)) return { available: false, reason: `${SSHD} is missing: ${SSHD_INSTALL_HINT}` };
  return { available: true };
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** The client's private key (OpenSSH text), accepted by this sshd only. */
  privateKey: string;
  /** The host's public key as an OpenSSH line (`ssh-ed25519 AAAA... comment`). */
  hostKey: string;
  /** The host key's fingerprint (`SHA256:...`), as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** A directory for the tests' files, removed by `stop`. */
  dir: string;
  /** What sshd printed (it logs errors only). */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /**
   * Every session runs this command instead of the one the client asked for
   * (sshd's ForceCommand; the client's is in SSH_ORIGINAL_COMMAND).
   */
  forceCommand?: string;
}

function sshdConfig(dir: string, port: number, username: string, options: SshdOptions): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(dir, 'host_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'UsePAM no',
    // The run's files live in a temporary directory, not a home with strict modes.
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${username}`,
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'LogLevel ERROR',
    ...(options.forceCommand === undefined ? [] : [`ForceCommand ${options.forceCommand}`]),
    '',
  ].join('\n');
}

/** Resolve once something on `port` answers with an SSH banner. */
async function untilListening(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}) as it started:\n${log()}`);
    const banner = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      socket.setTimeout(1_000, () => socket.destroy());
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(data));
    });
    if (banner.startsWith('SSH-2.0-')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`);
}

/** Start an sshd for this run. Stop it with `stop()`. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const availability = sshdAvailability();
  if (!availability.available) throw new Error(availability.reason);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-sshd-'));
  const username = os.userInfo().username;
  await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'deployer-loopback-host', '-f', path.join(dir, 'host_key')]);
  await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'deployer-loopback-client', '-f', path.join(dir, 'client_key')]);
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(path.join(dir, 'client_key.pub')));
  await chmod(path.join(dir, 'authorized_keys'), 0o600);
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await writeFile(config, sshdConfig(dir, port, username, options));
  if (process.getuid?.() === 0) {
    // As root, sshd separates privileges into this directory, which a container may lack.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }
  await run(SSHD, ['-t', '-f', config]).catch((error: Error & { stderr?: string }) => {
    throw new Error(`sshd refused its test config: ${error.stderr ?? error.message}`, { cause: error });
  });
  // -D: stay in the foreground (this process owns it); -e: errors to stderr.
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = (): string => output;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await untilListening(port, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  const hostKey = (await readFile(path.join(dir, 'host_key.pub'), 'utf8')).trim();
  const { stdout } = await run(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', path.join(dir, 'host_key.pub')]);
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(stdout)?.[0];
  if (fingerprint === undefined) throw new Error(`ssh-keygen printed no fingerprint: ${stdout}`);
  return {
    host: '127.0.0.1',
    port,
    username,
    privateKey: await readFile(path.join(dir, 'client_key'), 'utf8'),
    hostKey,
    hostKeyFingerprint: fingerprint,
    dir,
    log,
    stop,
  };
}

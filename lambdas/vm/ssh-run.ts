/**
 * The SSH executor's core: run the release script on a host over SSH (the
 * fallback for hosts without the SSM agent).
 *
 * - The host's key is checked against the pinned one before anything else is
 *   sent: a mismatch fails with HostKeyMismatch and nothing runs. There is no
 *   way to connect without a pinned key.
 * - The script and its environment travel on stdin to `bash -s` (values are
 *   never on the remote command line); the command line is fixed text.
 * - Connect and command timeouts end in named errors.
 * - A run that may outlast the Lambda (15 minutes) runs detached: started
 *   under `setsid nohup` with its output, pid and exit code in a run directory
 *   on the host (`~/.deployer-runs/<run id>`), then polled.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { InvalidInput } from '../shared/errors.ts';
import { DetachedRunLost, HostKeyMismatch, SshCommandTimeout, SshConnectFailed, SshConnectTimeout } from './errors.ts';
import {
  DEFAULT_TAIL_BYTES,
  ReleaseOutputCollector,
  releaseVerdict,
  utf8Tail,
  type ReleaseOutcome,
  type ReleaseResult,
} from './release-result.ts';
import { readReleaseScript } from './release-script.ts';
import { hereDocument, scriptWithEnvironment } from './shell-text.ts';

/** Where and as whom to connect. */
export interface SshTarget {
  host: string;
  port?: number;
  username: string;
  /** The private key (OpenSSH or PEM text), as held in Secrets Manager. */
  privateKey: string;
  passphrase?: string;
  /** The pinned host key: an OpenSSH public key line (`ssh-ed25519 AAAA...`) or its fingerprint (`SHA256:...`). */
  hostKey: string;
}

export interface SshRunOptions {
  /** TCP connect, handshake and authentication. Default 15 s. */
  connectTimeoutMs?: number;
  /** The remote command, from its start to its end. Default 10 minutes. */
  commandTimeoutMs?: number;
  /** Run the script as root with `sudo -n` (never prompts). Default false. */
  sudo?: boolean;
  /** Bytes of output kept. Default 8 KiB. */
  tailBytes?: number;
}

/** One remote run. */
export interface SshRunResult {
  /** null when the remote side reported a signal or no exit status. */
  exitCode: number | null;
  signal?: string;
  outcome: ReleaseOutcome;
  /** The script's result, or a failure saying how far it got. */
  verdict: ReleaseResult;
  durationMs: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;

// ------------------------------------------------------------ host key pinning

/** A parsed pin: the key itself, or only its SHA-256 fingerprint. */
export type PinnedHostKey = { kind: 'key'; type: string; blob: Buffer } | { kind: 'fingerprint'; fingerprint: string };

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/;
const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/** The OpenSSH fingerprint of a host key blob: `SHA256:` and unpadded base64. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Read a pinned host key. @throws InvalidInput when it is neither an OpenSSH
 * public key line nor a SHA256 fingerprint.
 */
export function parsePinnedHostKey(pin: string): PinnedHostKey {
  const text = pin.trim();
  const fingerprint = FINGERPRINT.exec(text);
  if (fingerprint !== null) return { kind: 'fingerprint', fingerprint: `SHA256:${fingerprint[1]!}` };
  const line = KEY_LINE.exec(text);
  if (line !== null) {
    const blob = Buffer.from(line[2]!, 'base64');
    // The blob starts with its own type name (uint32 length, then the name).
    const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (length > 0 && blob.length >= 4 + length && blob.subarray(4, 4 + length).toString('latin1') === line[1]) {
      return { kind: 'key', type: line[1]!, blob };
    }
  }
  throw new InvalidInput(
    'hostKey: must be the host\'s public key as an OpenSSH line (e.g. "ssh-ed25519 AAAA...", from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub) or its fingerprint ("SHA256:...", from ssh-keygen -lf)',
  );
}

function pinMatches(pin: PinnedHostKey, presented: Buffer): boolean {
  if (pin.kind === 'fingerprint') return hostKeyFingerprint(presented) === pin.fingerprint;
  return pin.blob.length === presented.length && timingSafeEqual(pin.blob, presented);
}

/** The host key algorithms to ask for: the pinned key's own, so the server presents that key. */
function hostKeyAlgorithms(pin: PinnedHostKey): ServerHostKeyAlgorithm[] | undefined {
  if (pin.kind === 'fingerprint') return undefined;
  if (pin.type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [pin.type as ServerHostKeyAlgorithm];
}

// ------------------------------------------------------------------ connecting

function where(target: SshTarget): string {
  return `${target.username}@${target.host}:${target.port ?? 22}`;
}

/**
 * Open an authenticated connection whose host key matched the pin.
 * @throws InvalidInput, HostKeyMismatch, SshConnectTimeout, SshConnectFailed
 */
export async function connectSsh(target: SshTarget, options: Pick<SshRunOptions, 'connectTimeoutMs'> = {}): Promise<Client> {
  const pin = parsePinnedHostKey(target.hostKey);
  // Loaded by the first connection, not at cold start: ssh2 and its crypto take longer to load than the handler's own code.
  const { default: ssh2 } = await import('ssh2');
  const key = ssh2.utils.parseKey(target.privateKey, target.passphrase);
  if (key instanceof Error) {
    throw new InvalidInput(`privateKey: cannot be read as an SSH private key (${key.message}); give the OpenSSH or PEM text, and its passphrase if it has one`);
  }
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: Buffer | undefined;
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) {
        resolve(client);
      } else {
        client.destroy();
        reject(error);
      }
    };
    // ssh2's readyTimeout covers the handshake; this also covers a TCP connect that hangs.
    const timer = setTimeout(() => settle(new SshConnectTimeout(`SSH to ${where(target)}: no connection within ${timeoutMs} ms`)), timeoutMs + 1_000);
    client.on('ready', () => settle(undefined));
    client.on('error', (error: Error & { level?: string }) => {
      if (presented !== undefined && !pinMatches(pin, presented)) {
        settle(
          new HostKeyMismatch(
            `SSH to ${where(target)}: the host presented key ${hostKeyFingerprint(presented)}, not the pinned ${
              pin.kind === 'key' ? hostKeyFingerprint(pin.blob) : pin.fingerprint
            }; nothing was run. If the host was rebuilt, pin its new key.`,
            { cause: error },
          ),
        );
      } else if (error.level === 'client-timeout') {
        settle(new SshConnectTimeout(`SSH to ${where(target)}: no handshake within ${timeoutMs} ms`, { cause: error }));
      } else if (error.level === 'client-authentication') {
        settle(new SshConnectFailed(`SSH to ${where(target)}: the host did not accept the private key`, { cause: error }));
      } else {
        settle(new SshConnectFailed(`SSH to ${where(target)}: ${error.message}`, { cause: error }));
      }
    });
    client.on('close', () => settle(new SshConnectFailed(`SSH to ${where(target)}: the connection closed before it was ready`)));
    const algorithms = hostKeyAlgorithms(pin);
    const config: ConnectConfig = {
      host: target.host,
      port: target.port ?? 22,
      username: target.username,
      privateKey: target.privateKey,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (hostKey: Buffer): boolean => {
        presented = Buffer.from(hostKey);
        return pinMatches(pin, presented);
      },
      ...(target.passphrase === undefined ? {} : { passphrase: target.passphrase }),
      ...(algorithms === undefined ? {} : { algorithms: { serverHostKey: algorithms } }),
    };
    try {
      client.connect(config);
    } catch (error) {
      settle(new SshConnectFailed(`SSH to ${where(target)}: ${(error as Error).message}`, { cause: error }));
    }
  });
}

/** Connect, run `work`, and always close the connection. */
async function withConnection<T>(target: SshTarget, options: SshRunOptions, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectSsh(target, options);
  try {
    return await work(client);
  } finally {
    client.end();
  }
}

/**
 * Run `command` (fixed text) with `stdin` fed to it and then closed; collect
 * its output. @throws SshCommandTimeout, SshConnectFailed
 */
function execCollect(
  client: Client,
  target: SshTarget,
  command: string,
  stdin: string,
  collector: ReleaseOutputCollector,
  timeoutMs: number,
): Promise<{ exitCode: number | null; signal?: string }> {
  return new Promise((resolve, reject) => {
    let exitCode: number | null = null;
    let signal: string | undefined;
    let settled = false;
    let channel: ClientChannel | undefined;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener('error', onClientError);
      if (error === undefined) resolve(signal === undefined ? { exitCode } : { exitCode, signal });
      else reject(error);
    };
    const timer = setTimeout(() => {
      channel?.close();
      settle(
        new SshCommandTimeout(
          `SSH to ${where(target)}: the command did not end within ${timeoutMs} ms (it may still be running on the host); last output:\n${collector.outcome().tail}`,
        ),
      );
    }, timeoutMs);
    const onClientError = (error: Error): void => settle(new SshConnectFailed(`SSH to ${where(target)}: ${error.message}`, { cause: error }));
    client.on('error', onClientError);
    client.exec(command, (error, stream) => {
      if (error !== undefined && error !== null) {
        settle(new SshConnectFailed(`SSH to ${where(target)}: cannot start the command: ${error.message}`, { cause: error }));
        return;
      }
      channel = stream;
      stream.on('data', (chunk: Buffer) => collector.push(chunk));
      stream.stderr.on('data', (chunk: Buffer) => collector.push(chunk));
      stream.on('exit', (code: number | null, signalName?: string) => {
        exitCode = typeof code === 'number' ? code : null;
        if (typeof signalName === 'string') signal = signalName;
      });
      stream.on('close', () => settle(undefined));
      stream.end(stdin);
    });
  });
}

/** The fixed command line that reads a script on stdin. */
function bashCommand(sudo: boolean | undefined): string {
  return sudo === true ? 'sudo -n bash -s' : 'bash -s';
}

/**
 * Run a bash script on the host (`bash -s`, the script on stdin).
 * @throws InvalidInput, HostKeyMismatch, SshConnectTimeout, SshConnectFailed, SshCommandTimeout
 */
export async function runScriptOverSsh(target: SshTarget, script: string, options: SshRunOptions = {}): Promise<SshRunResult> {
  return withConnection(target, options, async (client) => {
    const started = Date.now();
    const collector = new ReleaseOutputCollector(options.tailBytes ?? DEFAULT_TAIL_BYTES);
    const { exitCode, signal } = await execCollect(
      client,
      target,
      bashCommand(options.sudo),
      script,
      collector,
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    );
    const outcome = collector.finish();
    return {
      exitCode,
      ...(signal === undefined ? {} : { signal }),
      outcome,
      verdict: releaseVerdict(exitCode, outcome),
      durationMs: Date.now() - started,
    };
  });
}

/**
 * Run the release script on the host with `env` (from `releaseEnvironment`).
 * @throws InvalidInput, HostKeyMismatch, SshConnectTimeout, SshConnectFailed, SshCommandTimeout
 */
export function runReleaseOverSsh(
  target: SshTarget,
  env: Readonly<Record<string, string>>,
  options: SshRunOptions & { script?: string } = {},
): Promise<SshRunResult> {
  return runScriptOverSsh(target, scriptWithEnvironment(options.script ?? readReleaseScript(), env), options);
}

// -------------------------------------------------------------- detached runs

const RUN_ID = /^[0-9]{13}-[0-9a-f]{16}$/;
/** Starting or polling a detached run takes a moment; more means the host is in trouble. */
const SMALL_COMMAND_TIMEOUT_MS = 60_000;
/** Run directories older than this many days are removed when a new run starts. */
const KEEP_RUN_DAYS = 7;

/** A detached run: poll it with its id. */
export interface DetachedRun {
  runId: string;
}

/** Where a detached run stands. */
export interface DetachedStatus {
  state: 'running' | 'exited';
  exitCode?: number;
  outcome: ReleaseOutcome;
  /** Once exited: the script's result, or a failure saying how far it got. */
  verdict?: ReleaseResult;
}

function runDirectory(runId: string): string {
  if (!RUN_ID.test(runId)) throw new InvalidInput(`runId: '${runId}' is not a run id of startDetachedOverSsh`);
  return `"$HOME/.deployer-runs/${runId}"`;
}

/**
 * Start a script on the host detached from the SSH session: it goes on if the
 * connection or the Lambda ends. Its output, pid and exit code stay in
 * `~/.deployer-runs/<run id>` (private to the user; the script file, which
 * holds the inputs, is deleted as soon as bash has opened it).
 * @throws InvalidInput, HostKeyMismatch, SshConnectTimeout, SshConnectFailed, SshCommandTimeout
 */
export async function startDetachedOverSsh(target: SshTarget, script: string, options: SshRunOptions = {}): Promise<DetachedRun> {
  const runId = `${Date.now()}-${randomBytes(8).toString('hex')}`;
  const dir = runDirectory(runId);
  const payload = hereDocument(script);
  const wrapper = hereDocument(
    [
      'd=$1',
      'exec 3<"$d/run.sh"',
      'rm -f "$d/run.sh"',
      // In the background, so that its pid is known: a cancel signals the script, never this wrapper,
      // which waits for it and records its exit code whatever happens.
      `${bashCommand(options.sudo)} <&3 >"$d/output.log" 2>&1 3<&- &`,
      'echo "$!" >"$d/script-pid"',
      'wait "$!"',
      'echo "$?" >"$d/exit-code.tmp" && mv "$d/exit-code.tmp" "$d/exit-code"',
    ].join('\n'),
  );
  const launcher = [
    'set -eu',
    'umask 077',
    'base="$HOME/.deployer-runs"',
    'mkdir -p "$base"',
    `find "$base" -mindepth 1 -maxdepth 1 -type d -mtime +${KEEP_RUN_DAYS} -exec rm -rf {} + 2>/dev/null || true`,
    `d=${dir}`,
    'mkdir "$d"',
    `cat >"$d/run.sh" ${payload.body}cat >"$d/wrapper.sh" ${wrapper.body}setsid nohup bash "$d/wrapper.sh" "$d" </dev/null >/dev/null 2>&1 &`,
    'echo "$!" >"$d/pid"',
    `echo "DEPLOYER_DETACHED ${runId}"`,
    '',
  ].join('\n');
  const result = await runScriptOverSsh(target, launcher, { ...options, sudo: false, commandTimeoutMs: SMALL_COMMAND_TIMEOUT_MS });
  if (result.exitCode !== 0 || !result.outcome.tail.includes(`DEPLOYER_DETACHED ${runId}`)) {
    throw new SshConnectFailed(`SSH to ${where(target)}: the detached run did not start (exit ${String(result.exitCode)}):\n${result.outcome.tail}`);
  }
  return { runId };
}

/**
 * Start the release script detached. @see startDetachedOverSsh
 */
export function startDetachedReleaseOverSsh(
  target: SshTarget,
  env: Readonly<Record<string, string>>,
  options: SshRunOptions & { script?: string } = {},
): Promise<DetachedRun> {
  return startDetachedOverSsh(target, scriptWithEnvironment(options.script ?? readReleaseScript(), env), options);
}

/**
 * Ask a detached run to stop, as SSM's CancelCommand does: SIGTERM to the
 * script (with sudo, to sudo, which passes it on) and to its children. The
 * release script traps it: a run past the service's stop switches back to
 * the release that served and starts it, then exits (and if it cannot, the
 * host's journal lets the next run put that release back). Returns whether a running script was signalled
 * (false: it had already ended, or the host does not know the run).
 */
export async function cancelDetachedOverSsh(target: SshTarget, runId: string, options: SshRunOptions = {}): Promise<boolean> {
  const dir = runDirectory(runId);
  const cancel = [
    `d=${dir}`,
    'if [ ! -d "$d" ] || [ -f "$d/exit-code" ]; then echo "DEPLOYER_CANCEL ended"; exit 0; fi',
    'pid=$(cat "$d/script-pid" 2>/dev/null || true)',
    'wrapper=$(cat "$d/pid" 2>/dev/null || true)',
    // After a reboot the recorded pid may be another process's: only the wrapper's own child is signalled.
    'parent=$( [ -n "$pid" ] && ps -o ppid= -p "$pid" 2>/dev/null | tr -d " " || true)',
    'if [ -n "$pid" ] && [ -n "$wrapper" ] && [ "$parent" = "$wrapper" ] && kill -TERM "$pid" 2>/dev/null; then',
    // Its children too: bash runs the trap only once its foreground command (a download, say) has ended.
    '  pkill -TERM -P "$pid" 2>/dev/null || true',
    '  echo "DEPLOYER_CANCEL signalled"',
    'else echo "DEPLOYER_CANCEL ended"; fi',
    '',
  ].join('\n');
  const answer = await runScriptOverSsh(target, cancel, { ...options, sudo: false, commandTimeoutMs: SMALL_COMMAND_TIMEOUT_MS });
  const said = /^DEPLOYER_CANCEL (signalled|ended)$/m.exec(answer.outcome.tail);
  if (said === null) throw new SshConnectFailed(`SSH to ${where(target)}: unexpected answer to a cancel:\n${answer.outcome.tail.slice(0, 2000)}`);
  return said[1] === 'signalled';
}

const TAIL_MARK = 'DEPLOYER_TAIL';

/**
 * Where a detached run stands, with its marker lines (phases, result) and the
 * tail of its output. `remove` deletes the run's directory once it has exited.
 * @throws DetachedRunLost when the host does not know the run, or it ended without an exit code (host restarted)
 */
export async function pollDetachedOverSsh(
  target: SshTarget,
  runId: string,
  options: SshRunOptions & { remove?: boolean } = {},
): Promise<DetachedStatus> {
  const dir = runDirectory(runId);
  const tailBytes = options.tailBytes ?? DEFAULT_TAIL_BYTES;
  const poll = [
    `d=${dir}`,
    'if [ ! -d "$d" ]; then echo "DEPLOYER_RUN unknown"; exit 0; fi',
    'size=$(wc -c <"$d/output.log" 2>/dev/null || echo 0)',
    'if [ -f "$d/exit-code" ]; then echo "DEPLOYER_RUN exited $(cat "$d/exit-code") $size"',
    'elif kill -0 "$(cat "$d/pid" 2>/dev/null)" 2>/dev/null; then echo "DEPLOYER_RUN running 0 $size"',
    'else echo "DEPLOYER_RUN lost 0 $size"; fi',
    `grep -a -E '^DEPLOYER_(PHASE|ROLLED_BACK|RESULT) ' "$d/output.log" 2>/dev/null | tail -n 100`,
    `echo ${TAIL_MARK}`,
    `tail -c ${tailBytes} "$d/output.log" 2>/dev/null`,
    ...(options.remove === true ? ['if [ -f "$d/exit-code" ]; then rm -rf "$d"; fi'] : []),
    '',
  ].join('\n');
  const answer = await runScriptOverSsh(target, poll, {
    ...options,
    sudo: false,
    // The answer carries the markers and the tail whole.
    tailBytes: tailBytes + 64 * 1024,
    commandTimeoutMs: SMALL_COMMAND_TIMEOUT_MS,
  });
  const text = answer.outcome.tail;
  const status = /^DEPLOYER_RUN (unknown|running|exited|lost)(?: (\d+) (\d+))?$/m.exec(text);
  if (status === null) throw new SshConnectFailed(`SSH to ${where(target)}: unexpected answer to a poll:\n${text.slice(0, 2000)}`);
  const state = status[1]!;
  if (state === 'unknown') throw new DetachedRunLost(`${where(target)}: no run ${runId} on the host (removed, or another user's)`);
  const mark = text.indexOf(`\n${TAIL_MARK}\n`);
  const markers = mark === -1 ? '' : text.slice(text.indexOf('\n', status.index) + 1, mark + 1);
  const tail = mark === -1 ? '' : text.slice(mark + TAIL_MARK.length + 2);
  const collector = new ReleaseOutputCollector(tailBytes, Date.now, false);
  collector.push(markers);
  const parsed = collector.finish();
  const size = Number(status[3] ?? 0);
  const tailBuffer = utf8Tail(Buffer.from(tail, 'utf8'), tailBytes);
  const outcome: ReleaseOutcome = { ...parsed, tail: tailBuffer.toString('utf8'), truncated: size > tailBuffer.length };
  if (state === 'lost') {
    throw new DetachedRunLost(`${where(target)}: run ${runId} ended without an exit code (the host restarted, or it was killed); last output:\n${outcome.tail}`);
  }
  if (state === 'running') return { state: 'running', outcome };
  const exitCode = Number(status[2]);
  return { state: 'exited', exitCode, outcome, verdict: releaseVerdict(exitCode, outcome) };
}

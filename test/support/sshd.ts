/**
 * The tests' sshd (see simulator/vm/loopback-sshd.ts) and the keys they use
 * against it.
 *
 * When /usr/sbin/sshd is missing the SSH tests skip, saying how to install it,
 * unless DEPLOYER_REQUIRE_SSHD=1 (set by .ci/run): then they fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export { SSHD, SSHD_INSTALL_HINT, sshdAvailability, startSshd, type Sshd, type SshdOptions } from '../../simulator/vm/loopback-sshd.ts';

const run = promisify(execFile);

/** DEPLOYER_REQUIRE_SSHD=1: a missing sshd fails the tests instead of skipping them. */
export function sshdRequired(): boolean {
  return process.env.DEPLOYER_REQUIRE_SSHD === '1';
}

/** A new ed25519 key pair from ssh-keygen: the private key's text and the public key's line. */
export async function newKeyPair(comment = 'someone-else'): Promise<{ privateKey: string; publicKey: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-key-'));
  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path.join(dir, 'key')]);
    return {
      privateKey: await readFile(path.join(dir, 'key'), 'utf8'),
      publicKey: (await readFile(path.join(dir, 'key.pub'), 'utf8')).trim(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A second, unrelated host key line: what a wrongly pinned (or impostor) host looks like. */
export async function otherHostKey(): Promise<string> {
  return (await newKeyPair()).publicKey;
}

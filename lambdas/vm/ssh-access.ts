/**
 * How the SSH Lambdas reach a host of the ledger: its address, port and user
 * from the deployment, its pinned host key, and the private key read from
 * Secrets Manager (once per secret and invocation; never logged, never in
 * the state).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { InvalidInput } from '../shared/errors.ts';
import type { VmDeployment } from '../shared/vm-deployment.ts';
import type { LedgerItem } from './host-ledger.ts';
import { sshHostOf, targetsOf } from './host-release.ts';
import type { SshRunOptions, SshTarget } from './ssh-run.ts';

/** Hosts one function talks to at once. */
export const SSH_CONCURRENCY = 10;

export const secretsManager = lazyClient(() => new SecretsManagerClient({}));

/** Private keys by secret, for one invocation. */
export class PrivateKeys {
  private readonly keys = new Map<string, Promise<string>>();

  /** The private key text held by `secretId`. @throws InvalidInput when the secret holds no text */
  public get(secretId: string): Promise<string> {
    let key = this.keys.get(secretId);
    if (key === undefined) {
      key = awsCall('secretsmanager:GetSecretValue', () => secretsManager().send(new GetSecretValueCommand({ SecretId: secretId }))).then(
        (secret) => {
          if (secret.SecretString === undefined || secret.SecretString.trim() === '') {
            throw new InvalidInput(`privateKeySecret ${secretId}: the secret has no text value; store the OpenSSH private key as its SecretString`);
          }
          return secret.SecretString;
        },
      );
      this.keys.set(secretId, key);
    }
    return key;
  }
}

/** Where and how to connect to a host of the ledger. */
export async function sshTargetOf(deployment: VmDeployment, item: LedgerItem, keys: PrivateKeys): Promise<SshTarget> {
  const host = sshHostOf(targetsOf(deployment, item.group), item.host);
  return {
    host: host.address,
    port: host.port,
    username: host.user,
    hostKey: host.hostKey,
    privateKey: await keys.get(host.privateKeySecret),
  };
}

/** Connect and command timeouts from the deployment's ssh settings. */
export function sshOptions(deployment: VmDeployment): SshRunOptions {
  const ssh = deployment.ssh;
  return {
    sudo: false,
    ...(ssh === undefined ? {} : { connectTimeoutMs: ssh.connectTimeoutSeconds * 1000, commandTimeoutMs: ssh.commandTimeoutSeconds * 1000 }),
  };
}

/**
 * Simulated AWS Secrets Manager: the secrets a test or the rehearsal puts
 * (the SSH fallback's private keys), read with GetSecretValue by name or
 * ARN, with Secrets Manager's errors: `ResourceNotFoundException` ("Secrets
 * Manager can't find the specified secret."), `InvalidRequestException` for a
 * secret scheduled for deletion, and `AccessDeniedException` when refused.
 */
import {
  GetSecretValueCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type SimulatedApi } from './api-call.ts';
import { hexFrom } from './random.ts';
import { uuidFrom } from './ids.ts';
import { modeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

interface StoredSecret {
  name: string;
  arn: string;
  createdAt: number;
  versionId: string;
  value: { SecretString: string } | { SecretBinary: Uint8Array };
  deleted: boolean;
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";

/** The simulated Secrets Manager of the world's account and region. */
export class SimSecretsManager implements SimulatedApi {
  private readonly secrets = new Map<string, StoredSecret>();

  public constructor(private readonly env: ApiEnvironment) {}

  /** Create or update a secret (its value a string, or bytes); returns its ARN (name + `-` + 6 random characters, as AWS names it). */
  public putSecret(name: string, value: string | Uint8Array): string {
    const existing = this.secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${this.env.region}:${this.env.account}:secret:${name}-${hexFrom(6, 'secret', name)}`;
    this.secrets.set(name, {
      name,
      arn,
      createdAt: existing?.createdAt ?? this.env.now(),
      versionId: uuidFrom(`${arn}#${this.env.now()}#${typeof value === 'string' ? value.length : value.byteLength}`),
      value: typeof value === 'string' ? { SecretString: value } : { SecretBinary: new Uint8Array(value) },
      deleted: false,
    });
    return arn;
  }

  /** Schedule a secret for deletion: reading it is refused (InvalidRequestException). */
  public deleteSecret(name: string): void {
    const secret = this.secrets.get(name);
    if (secret !== undefined) secret.deleted = true;
  }

  /** The ARN of a secret, if it exists. */
  public arnOf(name: string): string | undefined {
    return this.secrets.get(name)?.arn;
  }

  /** Install the SecretsManagerClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(SecretsManagerClient);
    refuseUnimplemented(stub, this.env, 'secretsmanager', 'Secrets Manager');
    stub.on(GetSecretValueCommand).callsFake(
      serve(this.env, SecretsManagerServiceException, {
        action: 'secretsmanager:GetSecretValue',
        authorize: (input: GetSecretValueCommandInput) => [
          { action: 'secretsmanager:GetSecretValue', resources: [this.resourceOf(input.SecretId)] },
        ],
        run: (input: GetSecretValueCommandInput) => this.getSecretValue(input),
      }),
    );
    return () => stub.restore();
  }

  /** What IAM checks the call against: the secret's ARN, or the ARN pattern of a name nobody created. */
  private resourceOf(secretId: string | undefined): string {
    const found = this.find(secretId);
    if (found !== undefined) return found.arn;
    const id = secretId ?? '';
    return id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${this.env.region}:${this.env.account}:secret:${id}-??????`;
  }

  private find(secretId: string | undefined): StoredSecret | undefined {
    if (secretId === undefined) return undefined;
    if (!secretId.startsWith('arn:')) return this.secrets.get(secretId);
    // A full ARN names the secret exactly; a partial ARN (no random suffix) names it by its name.
    return [...this.secrets.values()].find((s) => s.arn === secretId || `${s.arn.slice(0, s.arn.lastIndexOf('-'))}` === secretId);
  }

  private getSecretValue(input: GetSecretValueCommandInput): Output<GetSecretValueCommandOutput> {
    const secret = this.find(input.SecretId);
    if (secret === undefined) throw modeledError(ResourceNotFoundException, NOT_FOUND, { Message: NOT_FOUND });
    if (input.VersionId !== undefined && input.VersionId !== secret.versionId) {
      throw modeledError(ResourceNotFoundException, NOT_FOUND, { Message: NOT_FOUND });
    }
    if (input.VersionStage !== undefined && input.VersionStage !== 'AWSCURRENT') {
      throw modeledError(ResourceNotFoundException, NOT_FOUND, { Message: NOT_FOUND });
    }
    if (secret.deleted) {
      const message =
        'You tried to perform the operation on a secret that\'s currently marked deleted.';
      throw modeledError(InvalidRequestException, message, { Message: message });
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date(secret.createdAt),
      ...('SecretString' in secret.value ? { SecretString: secret.value.SecretString } : { SecretBinary: new Uint8Array(secret.value.SecretBinary) }),
    };
  }
}

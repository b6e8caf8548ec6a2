/**
 * The artifact of a VM deployment, checked in S3 before anything is locked:
 * it exists (HeadObject), and its expected SHA-256 is known, from the input
 * or from the object `KEY.sha256` beside it (S3's own checksums are not a
 * full-object SHA-256 for multipart uploads, so the deployer does not use
 * them). Hosts verify the download against that checksum before they touch
 * anything.
 *
 * Only ValidateInput imports this module, and its S3 client is created on
 * the first VM deployment: an ECS deployment never constructs it.
 */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsCall, errorName } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { InvalidInput } from '../shared/errors.ts';

// The bucket may be in another region than the function: the client follows S3's redirect there.
const s3 = lazyClient(() => new S3Client({ followRegionRedirects: true }));

/** The first line of a `sha256sum` output, at most: enough for the checksum. */
const CHECKSUM_BYTES = 1024;
const SHA256 = /^[0-9a-fA-F]{64}$/;

/** S3's answers that mean "this object is not there for you": the input names it, so it is the input's mistake. */
function isMissing(error: unknown): boolean {
  const name = errorName(error);
  if (['NotFound', 'NoSuchKey', 'NoSuchBucket', 'AccessDenied', 'Forbidden'].includes(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return status === 403 || status === 404;
}

/**
 * Check that `s3://bucket/key` exists and can be read by the deployer.
 * @throws InvalidInput when S3 says it does not exist or is denied; other S3 failures are AWS errors (retried or caught by the state machine).
 */
export async function requireArtifact(bucket: string, key: string): Promise<void> {
  await awsCall('s3:HeadObject', async () => {
    try {
      await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) {
        throw new InvalidInput(
          `artifact: s3://${bucket}/${key} does not exist or the deployer may not read it (${errorName(error)}); upload it first or fix the URI`,
          { cause: error },
        );
      }
      throw error;
    }
  });
}

/**
 * The expected SHA-256 of `s3://bucket/key`: the first whitespace-separated
 * word of the object `KEY.sha256` (what `sha256sum FILE > FILE.sha256` writes).
 * @throws InvalidInput when that object is missing or does not start with 64 hexadecimal digits.
 */
export async function artifactChecksum(bucket: string, key: string): Promise<string> {
  const checksumKey = `${key}.sha256`;
  const uri = `s3://${bucket}/${checksumKey}`;
  const text = await awsCall('s3:GetObject', async () => {
    try {
      const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: checksumKey, Range: `bytes=0-${CHECKSUM_BYTES - 1}` }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isMissing(error)) {
        throw new InvalidInput(
          `sha256: the artifact s3://${bucket}/${key} has no verifiable checksum (${uri}: ${errorName(error)}); upload ${checksumKey} (sha256sum output) or pass sha256`,
          { cause: error },
        );
      }
      throw error;
    }
  });
  const word = text.trim().split(/\s+/)[0] ?? '';
  if (!SHA256.test(word)) {
    throw new InvalidInput(`sha256: ${uri} does not start with a SHA-256 (64 hexadecimal digits, as sha256sum writes); fix it or pass sha256`);
  }
  return word.toLowerCase();
}

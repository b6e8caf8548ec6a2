/**
 * How the artifact reaches the hosts: a presigned S3 GET URL, valid for as
 * long as the batch may run, so hosts need no S3 permissions of their own
 * (on-premises and SSH hosts have none). The release script checks its
 * sha256 before anything else.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { now } from '../shared/clock.ts';
import type { VmDeployment } from '../shared/vm-deployment.ts';

export const s3 = lazyClient(() => new S3Client({}));

/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * A GET URL of the deployment's artifact valid for `seconds` (at least a
 * minute, at most 7 days). Signed with the function's role: the URL stops
 * working when that role's session ends, whichever comes first.
 */
export async function presignedArtifactUrl(deployment: VmDeployment, seconds: number): Promise<string> {
  return presignedGetUrl(deployment.artifact.bucket, deployment.artifact.key, seconds);
}

/** A GET URL of `s3://bucket/key` valid for `seconds` (at least a minute, at most 7 days), signed with the function's role. */
export async function presignedGetUrl(bucket: string, key: string, seconds: number): Promise<string> {
  const expiresIn = Math.max(60, Math.min(MAX_PRESIGN_SECONDS, Math.ceil(seconds)));
  // Signed at the deployer's clock (the rehearsal's is virtual), which S3 checks the expiry against.
  return awsCall('s3:GetObject (presign)', () =>
    getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn, signingDate: new Date(now()) }),
  );
}

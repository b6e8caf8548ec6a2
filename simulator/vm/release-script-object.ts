/**
 * The release script as the installed stack holds it: an S3 object (a CDK
 * asset in the bootstrap bucket, named by its hash) that StartSsmBatch's
 * commands download and check. The rehearsal puts it in the simulated S3
 * and gives the function the environment the stack would.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENV } from '../../lambdas/registry.ts';
import type { ReleaseScriptObject } from '../../lambdas/vm/release-script-object.ts';
import type { SimS3 } from '../aws/s3.ts';
import { CHECKOUT_RELEASE_SCRIPT } from './checkout-release-script.ts';

/** Upload `vm/release.sh` to `s3` as `cdk deploy` does, and set StartSsmBatch's environment. */
export function publishReleaseScript(s3: SimS3, place: { account: string; region: string }): ReleaseScriptObject {
  const body = readFileSync(CHECKOUT_RELEASE_SCRIPT);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const object = { bucket: `cdk-hnb659fds-assets-${place.account}-${place.region}`, key: `${sha256}.sh`, sha256 };
  s3.putObject(object.bucket, object.key, body);
  process.env[ENV.releaseScriptObject] = `s3://${object.bucket}/${object.key}`;
  process.env[ENV.releaseScriptSha256] = sha256;
  return object;
}

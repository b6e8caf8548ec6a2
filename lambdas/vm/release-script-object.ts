/**
 * Where SSM hosts download the release script from: the S3 object the stack
 * uploaded (an asset), and its sha256, from the function's environment.
 */
import { ENV } from '../registry.ts';
import { requiredEnv } from '../shared/env.ts';

/** Where SSM hosts download the release script from, and the sha256 it must have. */
export interface ReleaseScriptObject {
  bucket: string;
  key: string;
  sha256: string;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
const SHA256 = /^[a-f0-9]{64}$/;

/**
 * The release script's S3 object, from the environment the stack sets
 * (`vm/release.sh` as an asset, and its sha256 computed at synth). SSM
 * commands carry only a small loader that downloads it, checks the sha256
 * and runs it: the script itself (about 30 KB) is larger than a command's
 * parameters should be.
 * @throws Error when the function's environment does not name it (a misconfigured stack)
 */
export function releaseScriptObject(): ReleaseScriptObject {
  const uri = requiredEnv(ENV.releaseScriptObject);
  const sha256 = requiredEnv(ENV.releaseScriptSha256);
  const match = S3_URI.exec(uri);
  if (match === null) throw new Error(`${ENV.releaseScriptObject} is not an s3://bucket/key URI: ${uri}`);
  if (!SHA256.test(sha256)) throw new Error(`${ENV.releaseScriptSha256} is not a sha256 (64 lowercase hex digits): ${sha256}`);
  return { bucket: match[1]!, key: match[2]!, sha256 };
}

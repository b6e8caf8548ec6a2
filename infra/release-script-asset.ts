/**
 * `vm/release.sh` as an S3 asset: SSM hosts download it (through a URL the
 * StartSsmBatch function presigns) instead of receiving its ~30 KB inside
 * every Run Command, and run it only if its sha256 is the one computed here
 * at synth.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { fromRepoRoot } from './repo-root.ts';

/** Where the release script is in the repository. */
export const RELEASE_SCRIPT_FILE = 'vm/release.sh';

export class ReleaseScriptAsset extends Construct {
  /** `s3://bucket/key` of the uploaded script. */
  public readonly objectUri: string;
  /** ARN of the uploaded object (what the presigning function must be allowed to GET). */
  public readonly objectArn: string;
  /** sha256 of the script, lowercase hex. */
  public readonly sha256: string;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const file = fromRepoRoot(RELEASE_SCRIPT_FILE);
    this.sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    const asset = new s3assets.Asset(this, 'Asset', { path: file });
    this.objectUri = asset.s3ObjectUrl;
    this.objectArn = asset.bucket.arnForObjects(asset.s3ObjectKey);
  }
}

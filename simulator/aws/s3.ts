/**
 * Simulated Amazon S3 (one account's buckets): PutObject, HeadObject,
 * GetObject (the body as the SDK's stream: `transformToString()`...) and
 * ListObjectsV2, with S3's errors: `NoSuchKey` and `NoSuchBucket` (404) for
 * GetObject, a bare `NotFound` (404) for HeadObject (a HEAD response has no
 * body to name the error), `AccessDenied` (403, "Access Denied") when a call
 * is refused.
 *
 * Hosts of a rehearsal have no network: {@link SimS3.download} turns a
 * presigned GET URL of a simulated object into a local file (or S3's
 * refusal), so that the simulated SSM can hand the host a `file:///` URL.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type _Object,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type CallContext, type SimulatedApi } from './api-call.ts';
import { presignedRefusal, s3TargetOf, type PresignedRefusal } from './s3-presigned.ts';
import { modeledError, SimulationNotImplemented, unmodeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

/** One stored object. */
interface StoredObject {
  body: Buffer;
  contentType: string;
  lastModified: number;
  etag: string;
  metadata: Record<string, string>;
  /** Base64 SHA-256 when uploaded with one (S3 keeps the checksum it was given). */
  checksumSha256?: string;
}

/** Options of an object seeded by a test or the rehearsal. */
export interface PutObjectOptions {
  contentType?: string;
  metadata?: Record<string, string>;
}

/** A presigned download: the local file holding the object, or S3's refusal. */
export type Download = { file: string } | { refusal: PresignedRefusal | { code: 'NoSuchKey' | 'NoSuchBucket'; message: string } };

const ACCESS_DENIED = { name: 'AccessDenied', httpStatusCode: 403, message: 'Access Denied' } as const;

function bodyBytes(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  // A stream or Blob would need an asynchronous read: the handlers upload strings and bytes.
  throw new SimulationNotImplemented('the simulated S3 takes a PutObject Body as a string or bytes, not a stream');
}

/** The simulated S3 of the world's account. */
export class SimS3 implements SimulatedApi {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private files: string | undefined;

  public constructor(private readonly env: ApiEnvironment) {}

  /** Create a bucket (idempotent). */
  public createBucket(bucket: string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
  }

  /** Store an object (creating its bucket), as an upload would; returns its ETag. */
  public putObject(bucket: string, key: string, body: string | Uint8Array, options: PutObjectOptions = {}): string {
    this.createBucket(bucket);
    return this.store(bucket, key, bodyBytes(body), options.contentType ?? 'binary/octet-stream', options.metadata ?? {}, undefined, this.env.now());
  }

  /** The bytes of an object, if it exists. */
  public object(bucket: string, key: string): Buffer | undefined {
    return this.buckets.get(bucket)?.get(key)?.body;
  }

  /** Delete an object (no error when it is not there). */
  public deleteObject(bucket: string, key: string): void {
    this.buckets.get(bucket)?.delete(key);
  }

  /**
   * What a host downloading `url` (a presigned GET URL) at `now` gets: the
   * object's bytes in a local file, or S3's refusal (expired, missing...).
   * Undefined when `url` is not an S3 URL.
   */
  public download(url: string, now: number): Download | undefined {
    if (!URL.canParse(url)) return undefined;
    const parsed = new URL(url);
    const target = s3TargetOf(parsed);
    if (target === undefined) return undefined;
    const refusal = presignedRefusal(parsed, now);
    if (refusal !== undefined) return { refusal };
    const bucket = this.buckets.get(target.bucket);
    if (bucket === undefined) return { refusal: { code: 'NoSuchBucket', message: 'The specified bucket does not exist' } };
    const object = bucket.get(target.key);
    if (object === undefined) return { refusal: { code: 'NoSuchKey', message: 'The specified key does not exist.' } };
    const file = path.join(this.filesDir(), createHash('sha256').update(`${target.bucket}/${target.key}#${object.etag}`).digest('hex'));
    // Named by the object's version, so an existing copy has the same bytes. Hosts may be reading it
    // right now: a new copy is written aside and renamed into place, never truncated under a reader.
    if (!existsSync(file)) {
      const partial = `${file}.${process.pid}.${randomUUID()}.partial`;
      writeFileSync(partial, object.body);
      renameSync(partial, file);
    }
    return { file };
  }

  /** A directory for files that stand for refused downloads (they never exist). */
  public missingFile(reason: string): string {
    return path.join(this.filesDir(), 'refused', reason.replace(/[^A-Za-z0-9._-]+/g, '-'));
  }

  /** Install the S3Client mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(S3Client);
    refuseUnimplemented(stub, this.env, 's3', 'S3');
    const objectArn = (bucket: string | undefined, key: string | undefined): string => `arn:aws:s3:::${bucket ?? ''}/${key ?? ''}`;
    stub.on(PutObjectCommand).callsFake(
      serve(this.env, S3ServiceException, {
        action: 's3:PutObject',
        authorize: (input: PutObjectCommandInput) => [{ action: 's3:PutObject', resources: [objectArn(input.Bucket, input.Key)] }],
        run: (input: PutObjectCommandInput, context: CallContext) => this.putObjectCall(input, context),
        accessDenied: ACCESS_DENIED,
      }),
    );
    stub.on(HeadObjectCommand).callsFake(
      serve(this.env, S3ServiceException, {
        action: 's3:GetObject',
        authorize: (input: HeadObjectCommandInput) => [{ action: 's3:GetObject', resources: [objectArn(input.Bucket, input.Key)] }],
        run: (input: HeadObjectCommandInput) => this.headObject(input),
        accessDenied: { ...ACCESS_DENIED, name: 'Forbidden', message: 'Forbidden' },
      }),
    );
    stub.on(GetObjectCommand).callsFake(
      serve(this.env, S3ServiceException, {
        action: 's3:GetObject',
        authorize: (input: GetObjectCommandInput) => [{ action: 's3:GetObject', resources: [objectArn(input.Bucket, input.Key)] }],
        run: (input: GetObjectCommandInput) => this.getObject(input),
        accessDenied: ACCESS_DENIED,
      }),
    );
    stub.on(ListObjectsV2Command).callsFake(
      serve(this.env, S3ServiceException, {
        action: 's3:ListBucket',
        authorize: (input: ListObjectsV2CommandInput) => [{ action: 's3:ListBucket', resources: [`arn:aws:s3:::${input.Bucket ?? ''}`] }],
        run: (input: ListObjectsV2CommandInput) => this.listObjectsV2(input),
        accessDenied: ACCESS_DENIED,
      }),
    );
    return () => stub.restore();
  }

  private store(
    bucket: string,
    key: string,
    body: Buffer,
    contentType: string,
    metadata: Record<string, string>,
    checksumSha256: string | undefined,
    at: number,
  ): string {
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const object: StoredObject = { body, contentType, lastModified: Math.floor(at / 1000) * 1000, etag, metadata: { ...metadata } };
    if (checksumSha256 !== undefined) object.checksumSha256 = checksumSha256;
    this.buckets.get(bucket)?.set(key, object);
    return etag;
  }

  private bucketOrThrow(name: string | undefined): Map<string, StoredObject> {
    const bucket = this.buckets.get(name ?? '');
    if (bucket === undefined) {
      throw modeledError(NoSuchBucket, 'The specified bucket does not exist', { BucketName: name } as object, 404);
    }
    return bucket;
  }

  private putObjectCall(input: PutObjectCommandInput, context: CallContext): Output<PutObjectCommandOutput> {
    this.bucketOrThrow(input.Bucket);
    if (input.Key === undefined || input.Key === '') {
      throw unmodeledError(S3ServiceException, { name: 'InvalidArgument', message: 'A key must be specified' });
    }
    const body = bodyBytes(input.Body);
    let checksum = input.ChecksumSHA256;
    if (checksum !== undefined) {
      const actual = createHash('sha256').update(body).digest('base64');
      if (actual !== checksum) {
        throw unmodeledError(S3ServiceException, {
          name: 'BadDigest',
          message: 'The SHA256 you specified did not match the calculated checksum.',
        });
      }
    } else if (input.ChecksumAlgorithm === 'SHA256') {
      checksum = createHash('sha256').update(body).digest('base64');
    }
    const etag = this.store(input.Bucket!, input.Key, body, input.ContentType ?? 'binary/octet-stream', input.Metadata ?? {}, checksum, context.at);
    return { ETag: etag, ServerSideEncryption: 'AES256', ...(checksum === undefined ? {} : { ChecksumSHA256: checksum, ChecksumType: 'FULL_OBJECT' }) };
  }

  private headObject(input: HeadObjectCommandInput): Output<HeadObjectCommandOutput> {
    const object = this.buckets.get(input.Bucket ?? '')?.get(input.Key ?? '');
    // A HEAD response has no body: the SDK can only name the error after the status code.
    if (object === undefined) throw modeledError(NotFound, 'NotFound', {}, 404);
    return {
      AcceptRanges: 'bytes',
      LastModified: new Date(object.lastModified),
      ContentLength: object.body.length,
      ETag: object.etag,
      ContentType: object.contentType,
      ServerSideEncryption: 'AES256',
      Metadata: { ...object.metadata },
      ...(object.checksumSha256 === undefined || input.ChecksumMode !== 'ENABLED'
        ? {}
        : { ChecksumSHA256: object.checksumSha256, ChecksumType: 'FULL_OBJECT' as const }),
    };
  }

  private getObject(input: GetObjectCommandInput): Output<GetObjectCommandOutput> {
    const bucket = this.bucketOrThrow(input.Bucket);
    const object = bucket.get(input.Key ?? '');
    if (object === undefined) throw modeledError(NoSuchKey, 'The specified key does not exist.', { Key: input.Key } as object, 404);
    const body = Buffer.from(object.body);
    return {
      Body: sdkStreamMixin(Readable.from([body])),
      AcceptRanges: 'bytes',
      LastModified: new Date(object.lastModified),
      ContentLength: body.length,
      ETag: object.etag,
      ContentType: object.contentType,
      ServerSideEncryption: 'AES256',
      Metadata: { ...object.metadata },
      ...(object.checksumSha256 === undefined || input.ChecksumMode !== 'ENABLED'
        ? {}
        : { ChecksumSHA256: object.checksumSha256, ChecksumType: 'FULL_OBJECT' as const }),
    };
  }

  private listObjectsV2(input: ListObjectsV2CommandInput): Output<ListObjectsV2CommandOutput> {
    const bucket = this.bucketOrThrow(input.Bucket);
    const prefix = input.Prefix ?? '';
    const maxKeys = input.MaxKeys ?? 1000;
    if (maxKeys < 0) throw unmodeledError(S3ServiceException, { name: 'InvalidArgument', message: 'Argument maxKeys must be an integer between 0 and 2147483647' });
    const after = input.ContinuationToken !== undefined ? Buffer.from(input.ContinuationToken, 'base64').toString('utf8') : (input.StartAfter ?? '');
    // S3 lists keys in UTF-8 binary order.
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const contents: _Object[] = [];
    const prefixes: string[] = [];
    let last: string | undefined;
    let truncated = false;
    for (const key of keys) {
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      const delimiter = input.Delimiter;
      const rest = key.slice(prefix.length);
      const cut = delimiter === undefined || delimiter === '' ? -1 : rest.indexOf(delimiter);
      if (cut >= 0) {
        const common = prefix + rest.slice(0, cut + delimiter!.length);
        if (!prefixes.includes(common)) prefixes.push(common);
        last = key;
        continue;
      }
      const object = bucket.get(key)!;
      contents.push({ Key: key, LastModified: new Date(object.lastModified), ETag: object.etag, Size: object.body.length, StorageClass: 'STANDARD' });
      last = key;
    }
    const output: Output<ListObjectsV2CommandOutput> = {
      IsTruncated: truncated,
      Name: input.Bucket,
      Prefix: prefix,
      MaxKeys: maxKeys,
      KeyCount: contents.length + prefixes.length,
    };
    if (contents.length > 0) output.Contents = contents;
    if (prefixes.length > 0) output.CommonPrefixes = prefixes.map((Prefix) => ({ Prefix }));
    if (input.Delimiter !== undefined) output.Delimiter = input.Delimiter;
    if (input.ContinuationToken !== undefined) output.ContinuationToken = input.ContinuationToken;
    if (input.StartAfter !== undefined) output.StartAfter = input.StartAfter;
    if (truncated && last !== undefined) output.NextContinuationToken = Buffer.from(last, 'utf8').toString('base64');
    return output;
  }

  private filesDir(): string {
    this.files ??= mkdtempSync(path.join(os.tmpdir(), 'deployer-s3-'));
    mkdirSync(this.files, { recursive: true });
    return this.files;
  }
}

/**
 * Presigned GET URLs of the simulated S3, as `@aws-sdk/s3-request-presigner`
 * makes them (SigV4 query string: X-Amz-Algorithm, -Credential, -Date,
 * -Expires, -SignedHeaders, -Signature), for virtual-hosted
 * (`BUCKET.s3.REGION.amazonaws.com/KEY`) and path-style
 * (`s3.REGION.amazonaws.com/BUCKET/KEY`) addresses.
 *
 * The simulation checks what S3 checks before the signature (which it
 * cannot verify without the signer's secret): every query parameter is
 * there, the expiry is at most 7 days, the URL has not expired and was not
 * signed in the future (a handler that signs with the system clock instead
 * of the shared clock shows up here in a rehearsal).
 */

/** Where a presigned URL points. */
export interface PresignedTarget {
  bucket: string;
  key: string;
  region: string | undefined;
}

/** Why S3 refuses a presigned URL: its error code and message. */
export interface PresignedRefusal {
  code: 'AccessDenied' | 'AuthorizationQueryParametersError' | 'RequestTimeTooSkewed';
  message: string;
}

const REQUIRED = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
const MAX_EXPIRES_SECONDS = 604_800;
/** How far in the future S3 accepts a signing time. */
const SKEW_MS = 15 * 60_000;
const VIRTUAL_HOSTED = /^(?<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-](?<region>[a-z0-9-]+))?\.amazonaws\.com$/;
const PATH_STYLE = /^s3(?:[.-](?<region>[a-z0-9-]+))?\.amazonaws\.com$/;

/** The bucket and key an S3 URL names, or undefined when it is not an S3 URL. */
export function s3TargetOf(url: URL): PresignedTarget | undefined {
  if (url.protocol !== 'https:') return undefined;
  const decode = (segments: string[]): string => segments.map((s) => decodeURIComponent(s)).join('/');
  const segments = url.pathname.split('/').slice(1);
  const hosted = VIRTUAL_HOSTED.exec(url.hostname);
  if (hosted?.groups !== undefined) {
    return { bucket: hosted.groups.bucket!, key: decode(segments), region: hosted.groups.region };
  }
  const pathStyle = PATH_STYLE.exec(url.hostname);
  if (pathStyle?.groups !== undefined && segments.length >= 2 && segments[0] !== '') {
    return { bucket: segments[0]!, key: decode(segments.slice(1)), region: pathStyle.groups.region };
  }
  return undefined;
}

/** `20260105T090000Z` -> epoch ms, or NaN. */
function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Why S3 would refuse this presigned GET at `now` (epoch ms), or undefined when it accepts it. */
export function presignedRefusal(url: URL, now: number): PresignedRefusal | undefined {
  const params = url.searchParams;
  const missing = REQUIRED.filter((name) => !params.has(name));
  if (missing.length === REQUIRED.length) {
    return { code: 'AccessDenied', message: 'Access Denied' };
  }
  if (missing.length > 0) {
    return {
      code: 'AuthorizationQueryParametersError',
      message: `Query-string authentication version 4 requires the ${REQUIRED.join(', ')} parameters (missing: ${missing.join(', ')}).`,
    };
  }
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    return { code: 'AuthorizationQueryParametersError', message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' };
  }
  const expires = Number(params.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    return {
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    };
  }
  const signedAt = amzDate(params.get('X-Amz-Date') ?? '');
  if (Number.isNaN(signedAt)) {
    return { code: 'AuthorizationQueryParametersError', message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"" };
  }
  if (signedAt > now + SKEW_MS) {
    return {
      code: 'RequestTimeTooSkewed',
      message:
        `The difference between the request time and the current time is too large (signed at ${new Date(signedAt).toISOString()}, ` +
        `now ${new Date(now).toISOString()}: a handler signing in a rehearsal must sign with the shared clock's time)`,
    };
  }
  if (now > signedAt + expires * 1000) {
    return { code: 'AccessDenied', message: 'Request has expired' };
  }
  return undefined;
}

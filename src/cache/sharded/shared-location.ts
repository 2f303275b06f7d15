/**
 * Where the shards of a sharded cache meet: a folder on a shared file system, or an S3 prefix
 * (`s3://BUCKET/PREFIX`, also on an S3-compatible store named by an endpoint URL). Parsing an
 * `s3://` location needs no AWS SDK: the SDK is imported only when an S3 location is used.
 */
import { OptionsError } from '../../core/errors.js';

/** An S3 location: bucket, key prefix (no leading or trailing `/`, may be empty), and the store. */
export interface S3Location {
  readonly kind: 's3';
  readonly bucket: string;
  readonly prefix: string;
  /** Endpoint of an S3-compatible store (path-style addressing), or undefined for AWS S3. */
  readonly endpoint: string | undefined;
}

/** Environment variable naming the endpoint of an S3-compatible store (as `--s3-endpoint` does). */
export const S3_ENDPOINT_ENV = 'FUSEFLOW_S3_ENDPOINT';

/** True when `location` names an S3 prefix (`s3://…`). */
export const isS3Url = (location: string): boolean => /^s3:\/\//i.test(location);

/** `s3://BUCKET/PREFIX/key` of `key` (relative to the prefix) at `loc`, for messages. */
export const s3Url = (loc: S3Location, key = ''): string => `s3://${loc.bucket}/${[loc.prefix, key].filter((p) => p !== '').join('/')}`;

/** The object key of `key` (relative to the prefix) at `loc`. */
export const s3Key = (loc: S3Location, key: string): string => (loc.prefix === '' ? key : `${loc.prefix}/${key}`);

/**
 * Parses `s3://BUCKET/PREFIX`. The endpoint is `endpoint`, else `$FUSEFLOW_S3_ENDPOINT`, else AWS.
 * @example parseS3Location('s3://lab-cache/brats/v1', 'http://127.0.0.1:9000') // { bucket: 'lab-cache', prefix: 'brats/v1', … }
 * @throws {OptionsError} for a bucket name S3 does not allow, an empty or `.`/`..` path segment, or an endpoint that is not an http(s) URL.
 */
export function parseS3Location(location: string, endpoint?: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(location);
  if (m === null) throw new OptionsError(`'${location}' is not an S3 location; expected s3://BUCKET/PREFIX`);
  const bucket = m[1] as string;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new OptionsError(
      `'${location}': '${bucket}' is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
    );
  }
  const prefix = (m[2] as string).replace(/\/+$/, '');
  if (prefix !== '' && prefix.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    throw new OptionsError(`'${location}': the prefix '${prefix}' has an empty, '.' or '..' segment`);
  }
  const url = endpoint ?? (env[S3_ENDPOINT_ENV] === '' ? undefined : env[S3_ENDPOINT_ENV]);
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new OptionsError(`the S3 endpoint '${url}'${endpoint === undefined ? ` (from $${S3_ENDPOINT_ENV})` : ''} is not an http:// or https:// URL`);
    }
  }
  return { kind: 's3', bucket, prefix, endpoint: url };
}

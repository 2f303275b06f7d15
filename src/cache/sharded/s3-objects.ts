/**
 * The few S3 calls a sharded cache needs, on `@aws-sdk/client-s3`: this module is imported only
 * when an `s3://` location is used (dynamically), so the CLI does not load the SDK otherwise.
 *
 * Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, AWS_PROFILE and ~/.aws, instance roles); the region from AWS_REGION or the
 * profile, else `us-east-1` (a bucket in another region is followed). With an endpoint (an
 * S3-compatible store) addressing is path-style.
 * Request checksums are sent only where S3 requires them (stores other than AWS often reject the
 * newer checksum trailers); integrity is checked end to end by SHA-256 instead.
 *
 * Every object fuseflow writes carries metadata `fuseflow-cache` (the cache key) and
 * `fuseflow-sha256` (of its bytes): an object without the key of this cache is someone else's and
 * is never overwritten. Failures become {@link InputError} (reading) or {@link OutputError}
 * (writing) naming the `s3://` URL and what to do.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors.js';
import { OutputError, outputErrorOf } from '../../core/safe-fs.js';
import { s3Key, s3Url, type S3Location } from './shared-location.js';

/** What HEAD says of an object. */
export interface S3Head {
  readonly bytes: number;
  /** User metadata (lower-case names, without `x-amz-meta-`). */
  readonly meta: Readonly<Record<string, string>>;
}

/** Metadata names fuseflow writes on its objects. */
export const META = { cache: 'fuseflow-cache', sha256: 'fuseflow-sha256' } as const;

/** Files larger than this are uploaded in parts of this size (S3's single PUT stops at 5 GiB). */
export const DEFAULT_PART_BYTES = 64 * 2 ** 20;
/** S3's smallest part (all parts but the last). */
const MIN_PART_BYTES = 5 * 2 ** 20;
/** Longest wait for a connection to the store, and for any byte on an open one. */
const CONNECT_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 120_000;
/** Bytes read at a time when hashing a file. */
const CHUNK = 4 * 2 ** 20;
/** Largest small object read into memory (records, plans, manifest digests). */
const MAX_SMALL_BYTES = 64 * 2 ** 20;

const errName = (err: unknown): string => (err as { name?: string } | undefined)?.name ?? '';
const errStatus = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
const notFound = (err: unknown): boolean => errName(err) === 'NotFound' || errName(err) === 'NoSuchKey' || errStatus(err) === 404;

/** A plain reason for an S3 failure, with what to check. */
function reason(err: unknown): string {
  const name = errName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'NoSuchBucket') return 'the bucket does not exist (create it first, or check the name and --s3-endpoint)';
  if (name === 'AccessDenied' || errStatus(err) === 403)
    return `access denied (${message}); check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket policy`;
  if (name === 'CredentialsProviderError') return `no AWS credentials found (${message}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`;
  if (/region is missing/i.test(message)) return `${message}; set AWS_REGION (or a region in the AWS profile)`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach the S3 endpoint (${code}); check --s3-endpoint / $FUSEFLOW_S3_ENDPOINT`;
  return `${name === '' ? '' : `${name}: `}${message}`;
}

/**
 * The region: AWS_REGION, else AWS_DEFAULT_REGION (which the SDK itself does not read), else the
 * profile's (left to the SDK when AWS_PROFILE is set), else `us-east-1`.
 */
function regionOption(env: NodeJS.ProcessEnv): { region?: string } {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region !== undefined && region !== '') return { region };
  return env.AWS_PROFILE !== undefined && env.AWS_PROFILE !== '' ? {} : { region: 'us-east-1' };
}

/**
 * Turns off the SDK's `NodeVersionSupportWarning` (printed once per process on Node < 22, on every
 * `s3://` command) by its documented switch, `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`
 * (aws/aws-sdk-js-v3#7983), read when a client is made; a value the user set is left as it is.
 * No other warning of the SDK is affected.
 */
export function silenceNodeVersionWarning(env: NodeJS.ProcessEnv): void {
  env[NODE_VERSION_WARNING_SWITCH] ??= 'true';
}

/** The SDK's environment switch for its Node version support warning. */
export const NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** The objects under one S3 location. */
export class S3Objects {
  private readonly client: S3Client;

  constructor(
    readonly loc: S3Location,
    private readonly partBytes = DEFAULT_PART_BYTES,
  ) {
    if (!Number.isSafeInteger(partBytes) || partBytes < MIN_PART_BYTES) throw new RangeError(`partBytes must be an integer >= ${MIN_PART_BYTES}, got ${partBytes}`);
    silenceNodeVersionWarning(process.env);
    this.client = new S3Client({
      ...(loc.endpoint === undefined ? { followRegionRedirects: true } : { endpoint: loc.endpoint, forcePathStyle: true }),
      ...regionOption(process.env),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store that stops answering fails the request (then retried by the SDK) instead of hanging the fill.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
    });
  }

  /** `s3://…` of `key`. */
  url(key: string): string {
    return s3Url(this.loc, key);
  }

  /** HEAD of `key`, or undefined when there is no such object. @throws {InputError} naming the URL for other failures. */
  async head(key: string): Promise<S3Head | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: s3Key(this.loc, key) }));
      return { bytes: r.ContentLength ?? 0, meta: r.Metadata ?? {} };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw new InputError(`cannot read (${reason(err)})`, { file: this.url(key) });
    }
  }

  /** The bytes of the small object `key` (at most 64 MiB), or undefined when absent. @throws {InputError} naming the URL. */
  async getSmall(key: string): Promise<Buffer | undefined> {
    let body: Readable;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: s3Key(this.loc, key) }));
      if ((r.ContentLength ?? 0) > MAX_SMALL_BYTES)
        throw new InputError(`is ${r.ContentLength} bytes, more than the ${MAX_SMALL_BYTES} a record may have (not written by fuseflow)`, { file: this.url(key) });
      body = r.Body as Readable;
    } catch (err) {
      if (err instanceof InputError) throw err;
      if (notFound(err)) return undefined;
      throw new InputError(`cannot read (${reason(err)})`, { file: this.url(key) });
    }
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += (chunk as Buffer).byteLength;
        if (total > MAX_SMALL_BYTES) {
          body.destroy();
          throw new InputError(`is more than the ${MAX_SMALL_BYTES} bytes a record may have (not written by fuseflow)`, { file: this.url(key) });
        }
        parts.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read (${reason(err)})`, { file: this.url(key) });
    }
    return Buffer.concat(parts);
  }

  /**
   * Downloads `key` to the new file `file` (created exclusively, flushed to disk), hashing it as it passes.
   * @throws {InputError} naming the URL when it is absent or cannot be read; {OutputError} naming `file`.
   */
  async download(key: string, file: string): Promise<{ readonly bytes: number; readonly sha256: string }> {
    let body: Readable;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: s3Key(this.loc, key) }));
      body = r.Body as Readable;
    } catch (err) {
      throw new InputError(notFound(err) ? 'is missing' : `cannot read (${reason(err)})`, { file: this.url(key) });
    }
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (err) {
      body.destroy();
      throw outputErrorOf(file, err);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      try {
        for await (const chunk of body) {
          const buf = chunk as Buffer;
          hash.update(buf);
          let done = 0;
          try {
            while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done);
          } catch (err) {
            body.destroy();
            throw outputErrorOf(file, err);
          }
          bytes += buf.byteLength;
        }
      } catch (err) {
        if (err instanceof OutputError) throw err;
        throw new InputError(`cannot read (${reason(err)})`, { file: this.url(key) });
      }
      try {
        fsyncSync(fd);
      } catch (err) {
        throw outputErrorOf(file, err, 'cannot flush to disk');
      }
    } finally {
      closeSync(fd);
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /** Every object under `sub` (relative to the prefix, ending in `/`): key (relative) → size. @throws {InputError} naming the URL. */
  async list(sub: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const base = this.loc.prefix === '' ? '' : `${this.loc.prefix}/`;
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: s3Key(this.loc, sub), ...(token === undefined ? {} : { ContinuationToken: token }) }),
        );
      } catch (err) {
        throw new InputError(`cannot list (${reason(err)})`, { file: this.url(sub) });
      }
      for (const o of r.Contents ?? []) if (o.Key !== undefined) out.set(o.Key.slice(base.length), o.Size ?? 0);
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  /**
   * Writes the small object `key`. With `create`, only when no object is there (If-None-Match, on
   * stores that honour it): returns false when one is.
   * @throws {OutputError} naming the URL.
   */
  async put(key: string, body: string | Uint8Array, cacheKey: string, create: boolean): Promise<boolean> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.loc.bucket,
          Key: s3Key(this.loc, key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          Metadata: { [META.cache]: cacheKey, [META.sha256]: sha256 },
          ...(create ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (create && (errName(err) === 'PreconditionFailed' || errStatus(err) === 412)) return false;
      throw new OutputError(this.url(key), `cannot write (${reason(err)})`, { cause: err });
    }
  }

  /**
   * Uploads the local file `file` (of `bytes` bytes, SHA-256 `sha256`) to `key`, in parts when it
   * is larger than the part size (one part in memory at a time).
   * @throws {OutputError} naming the URL; a multipart upload that failed is aborted.
   */
  async upload(key: string, file: string, bytes: number, sha256: string, cacheKey: string): Promise<void> {
    const target = { Bucket: this.loc.bucket, Key: s3Key(this.loc, key) };
    const Metadata = { [META.cache]: cacheKey, [META.sha256]: sha256 };
    if (bytes <= this.partBytes) {
      try {
        await this.client.send(new PutObjectCommand({ ...target, Body: createReadStream(file), ContentLength: bytes, Metadata }));
      } catch (err) {
        throw new OutputError(this.url(key), `cannot upload ${file} (${reason(err)})`, { cause: err });
      }
      return;
    }
    let uploadId: string | undefined;
    const fd = openSync(file, 'r');
    try {
      uploadId = (await this.client.send(new CreateMultipartUploadCommand({ ...target, Metadata }))).UploadId;
      if (uploadId === undefined) throw new Error('the store returned no upload id');
      const buf = Buffer.allocUnsafe(this.partBytes);
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let offset = 0, part = 1; offset < bytes; offset += this.partBytes, part++) {
        const want = Math.min(this.partBytes, bytes - offset);
        let got = 0;
        while (got < want) {
          const n = readSync(fd, buf, got, want - got, offset + got);
          if (n === 0) throw new Error(`${file} ended at ${offset + got} bytes, expected ${bytes} (changed while uploading)`);
          got += n;
        }
        const r = await this.client.send(new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber: part, Body: buf.subarray(0, want), ContentLength: want }));
        parts.push({ ETag: r.ETag ?? '', PartNumber: part });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      if (uploadId !== undefined) await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => undefined);
      throw new OutputError(this.url(key), `cannot upload ${file} (${reason(err)})`, { cause: err });
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}

/** Size and SHA-256 of the local file `file`, read in 4 MiB chunks. @throws {InputError} naming it. */
export function hashFile(file: string): { readonly bytes: number; readonly sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

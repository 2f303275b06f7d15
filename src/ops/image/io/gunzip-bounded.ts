/**
 * Inflates a gzip file as a stream without keeping it: the first bytes of the content are kept
 * (a header to read), the rest is only counted, and inflating stops as soon as the content is
 * longer than the limit that the caller derives from those first bytes. A 4 MB gzip bomb that
 * would inflate to 4 GB is stopped one chunk (64 KiB) past the limit, so memory stays bounded
 * whatever the file claims; the whole stream's CRC-32 and length are checked by zlib when it ends.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** Inflated bytes handled at a time: the most inflated past the limit before stopping. */
export const GUNZIP_CHUNK_BYTES = 64 * 1024;

/** Options of {@link gunzipBounded}. */
export interface GunzipBoundedOptions {
  /** How many bytes of the content to keep and return as `head`. */
  readonly keep: number;
  /**
   * Called once, with the first `keep` bytes (fewer when the content is shorter): the most bytes
   * the whole content may hold. May throw (e.g. an InputError for a header that is not valid);
   * inflating then stops and the promise rejects with that error.
   */
  readonly limitFor: (head: Uint8Array) => number;
}

/** What {@link gunzipBounded} found. */
export type GunzipOutcome =
  | { readonly kind: 'complete'; readonly head: Uint8Array; readonly total: number }
  | { readonly kind: 'longer'; readonly head: Uint8Array; readonly limit: number; readonly inflated: number }
  | { readonly kind: 'corrupt'; readonly head: Uint8Array; readonly inflated: number; readonly message: string };

/**
 * Inflates `file` (gzip) up to the limit derived from its first bytes.
 * @returns `complete` (the whole stream inflated, CRC and length verified, within the limit),
 *   `longer` (stopped: the content exceeds the limit), or `corrupt` (zlib's error: a truncated
 *   stream, a bad CRC, a broken deflate block).
 */
export function gunzipBounded(file: string, options: GunzipBoundedOptions): Promise<GunzipOutcome> {
  return new Promise((resolve, reject) => {
    const source = createReadStream(file, { highWaterMark: GUNZIP_CHUNK_BYTES });
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    const keep = new Uint8Array(options.keep);
    let kept = 0;
    let total = 0;
    let limit: number | undefined;
    let settled = false;
    const head = (): Uint8Array => keep.subarray(0, kept);
    const settle = (done: () => void): void => {
      if (settled) return;
      settled = true;
      source.unpipe(gunzip);
      source.destroy();
      gunzip.destroy();
      done();
    };
    const limitNow = (): number | undefined => {
      try {
        limit ??= options.limitFor(head());
        return limit;
      } catch (err) {
        settle(() => reject(err instanceof Error ? err : new Error(String(err))));
        return undefined;
      }
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (kept < keep.length) {
        const n = Math.min(keep.length - kept, chunk.length);
        keep.set(chunk.subarray(0, n), kept);
        kept += n;
      }
      total += chunk.length;
      if (kept < keep.length) return;
      const max = limitNow();
      if (max !== undefined && total > max) settle(() => resolve({ kind: 'longer', head: head(), limit: max, inflated: total }));
    });
    gunzip.on('end', () => {
      if (settled) return;
      const max = limitNow();
      if (max === undefined) return;
      settle(() => resolve(total > max ? { kind: 'longer', head: head(), limit: max, inflated: total } : { kind: 'complete', head: head(), total }));
    });
    gunzip.on('error', (err) => settle(() => resolve({ kind: 'corrupt', head: head(), inflated: total, message: err.message })));
    source.on('error', (err) => settle(() => reject(err)));
    source.pipe(gunzip);
  });
}

/**
 * `cache commit` and `cache pull` on either kind of shared location — a folder, or
 * `s3://BUCKET/PREFIX` — for programs (the CLI calls these). The S3 implementation and the AWS SDK
 * are imported only when an `s3://` location is given.
 */
import { commitShards, type CommitReport } from './commit-shards.js';
import { pullShards, type PullReport } from './pull-shards.js';
import { isS3Url } from './shared-location.js';

/** Options for an `s3://` location (ignored for a folder). */
export interface SharedLocationOptions {
  /** Endpoint of an S3-compatible store; default `$FUSEFLOW_S3_ENDPOINT`, else AWS S3. */
  readonly s3Endpoint?: string;
}

/**
 * Commits the sharded cache at `location` (commitShards for a folder, commitShardsS3 for `s3://`).
 * @example await commitSharded('s3://lab-cache/brats', { s3Endpoint: 'http://127.0.0.1:9000' })
 * @throws {InputError} naming the location when shards are missing or damaged; {OutputError} naming what cannot be written.
 */
export async function commitSharded(location: string, options: SharedLocationOptions = {}): Promise<CommitReport> {
  if (!isS3Url(location)) return commitShards(location);
  const { commitShardsS3 } = await import('./s3-shards.js');
  return commitShardsS3(location, options.s3Endpoint === undefined ? {} : { endpoint: options.s3Endpoint });
}

/**
 * Pulls the committed sharded cache at `location` to the new local folder `to` (pullShards for a
 * folder, pullShardsS3 for `s3://`), checking every SHA-256.
 * @example await pullSharded('s3://lab-cache/brats', '/scratch/brats')
 * @throws {InputError} naming the location or object when it is not committed or damaged; {OutputError} when `to` exists with other contents.
 */
export async function pullSharded(location: string, to: string, options: SharedLocationOptions = {}): Promise<PullReport> {
  if (!isS3Url(location)) return pullShards(location, to);
  const { pullShardsS3 } = await import('./s3-shards.js');
  return pullShardsS3(location, to, options.s3Endpoint === undefined ? {} : { endpoint: options.s3Endpoint });
}

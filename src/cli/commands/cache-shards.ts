/**
 * `fuseflow cache fill|commit|pull`: the sharded static cache, for filling one cache from many
 * processes (Slurm array tasks, Kubernetes Indexed Jobs, queue workers). Every command is
 * idempotent and safe to rerun after a kill; exit 0 means the shard (or commit, or pull) is done.
 */
import { availableParallelism } from 'node:os';
import { loadDatasetModule, needsInThreadFill } from '../../cache/sharded/dataset-module.js';
import { fillShard } from '../../cache/sharded/fill-shard.js';
import { shardName } from '../../cache/sharded/shard-assign.js';
import { isS3Url } from '../../cache/sharded/shared-location.js';
import { commitSharded, pullSharded } from '../../cache/sharded/shared-ops.js';

export const SHARD_HELP = `  fill MODULE --shards N [--index I] --to SHARED_DIR [--local DIR] [--threads T] [--progress]
                         fill shard I of N of the static cache of the dataset module MODULE (a
                         .ts/.js file exporting ids — a string[] or an Arrow id column such as
                         idsFromArrowFile('ids.arrow'), read once in bounded memory — and
                         staticPipeline, optionally salt) into an
                         LMDB environment on local disk, then publish it to SHARED_DIR/shards/ by
                         copy, fsync and rename. I defaults to the launcher's rank
                         (SLURM_ARRAY_TASK_ID, SLURM_PROCID, JOB_COMPLETION_INDEX, RANK). A
                         published shard is left alone. --local is a scratch folder on local disk
                         (default: OS temp folder): the shard is built in DIR/<key>-<shard>/, which
                         a killed fill resumes and which is removed once published
  commit SHARED_DIR      check every shard is published and complete (names the missing and bad
                         ones), then write the combined manifest; the cache then opens as one
  pull SHARED_DIR --to LOCAL_DIR
                         copy a committed sharded cache to local disk, checking every SHA-256
  SHARED_DIR may be s3://BUCKET/PREFIX [--s3-endpoint URL]: a shard is published by uploading its
                         files, then its shard.json last (a rerun redoes an upload that lacks it);
                         objects fuseflow did not write are never overwritten. --s3-endpoint (or
                         FUSEFLOW_S3_ENDPOINT) names an S3-compatible store (path-style); the
                         credentials are the standard AWS ones (AWS_ACCESS_KEY_ID/…, AWS_PROFILE)`;

/** Reads `--name value` / `--name=value` flags and positionals; booleans are listed in `bool`. */
function parseFlags(
  args: readonly string[],
  valued: readonly string[],
  bool: readonly string[],
): { positional: string[]; values: Map<string, string>; flags: Set<string> } | string {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (bool.includes(name) && eq < 0) flags.add(name);
    else if (valued.includes(name)) {
      const value = eq < 0 ? args[++i] : a.slice(eq + 1);
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) return `${name} needs a value`;
      if (values.has(name)) return `${name} given twice`;
      values.set(name, value);
    } else return `unknown option ${a}`;
  }
  return { positional, values, flags };
}

/** A non-negative integer flag value, or an error message. */
function integer(name: string, value: string | undefined, min: number): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) return `${name} must be an integer >= ${min}, got '${value}'`;
  return Number(value);
}

function usage(message: string): number {
  console.error(`fuseflow cache: ${message}\nusage:\n${SHARD_HELP}`);
  return 2;
}

async function fill(args: readonly string[]): Promise<number> {
  const p = parseFlags(args, ['--shards', '--index', '--to', '--local', '--threads', '--s3-endpoint'], ['--progress']);
  if (typeof p === 'string') return usage(p);
  const [module, ...extra] = p.positional;
  if (module === undefined || extra.length > 0) return usage('fill takes one dataset MODULE');
  const shards = integer('--shards', p.values.get('--shards'), 1);
  const index = integer('--index', p.values.get('--index'), 0);
  const threads = integer('--threads', p.values.get('--threads'), 0);
  for (const v of [shards, index, threads]) if (typeof v === 'string') return usage(v);
  const to = p.values.get('--to');
  if (shards === undefined || to === undefined) return usage('fill needs --shards N and --to SHARED_DIR');
  const local = p.values.get('--local');
  const endpoint = s3Endpoint(p.values, to);
  if (endpoint instanceof Error) return usage(endpoint.message);
  const dataset = await loadDatasetModule(module);
  let threadCount = (threads as number | undefined) ?? availableParallelism();
  if (threadCount > 0 && needsInThreadFill(dataset)) {
    console.error(
      `fuseflow cache fill: ${module} is TypeScript and this fuseflow is compiled: filling in this thread (worker threads cannot load .ts); compile the module to .js to fill on ${threadCount} threads`,
    );
    threadCount = 0;
  }
  const started = performance.now();
  let last = started;
  const report = await fillShard({
    dataset,
    shards: shards as number,
    to,
    threads: threadCount,
    ...(index === undefined ? {} : { index: index as number }),
    ...(local === undefined ? {} : { local }),
    ...(endpoint === undefined ? {} : { s3Endpoint: endpoint }),
    onScan: (rows, total) => {
      const now = performance.now();
      if (now - last > 5000 || (rows === total && now - started > 5000)) {
        last = now;
        console.error(`read ${rows}/${total} ids to pick this shard's (${((rows * 1000) / (now - started)).toFixed(0)} ids/s)`);
      }
    },
    onProgress: (q) => {
      const now = performance.now();
      if (p.flags.has('--progress')) console.error(`committed ${q.initialId} (${q.done}/${q.total})`);
      else if (now - last > 5000) {
        last = now;
        console.error(`${q.done}/${q.total} ids (${((q.done * 1000) / (now - started)).toFixed(1)} ids/s)`);
      }
    },
  });
  const name = shardName(report.index, report.shards);
  if (report.outcome === 'already-published') console.log(`shard ${name} (${report.rankSource}): already published at ${report.folder}; nothing to do`);
  else {
    const f = report.fill;
    const what = f === undefined ? 'no ids' : `${report.ids} ids (${f.alreadyCached} already in the local environment, ${f.computed} computed, ${f.dropped} dropped)`;
    const reused = (report.reusedFiles ?? 0) > 0 ? ` (${report.reusedFiles} files kept from an interrupted upload)` : '';
    console.log(`shard ${name} (${report.rankSource}): ${what}; published ${report.folder}${reused} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return 0;
}

/** `--s3-endpoint` when given (only with an s3:// location), an Error for a misplaced one. */
function s3Endpoint(values: ReadonlyMap<string, string>, location: string | undefined): string | undefined | Error {
  const endpoint = values.get('--s3-endpoint');
  if (endpoint !== undefined && (location === undefined || !isS3Url(location))) return new Error('--s3-endpoint goes with an s3://BUCKET/PREFIX location');
  return endpoint;
}

async function commit(args: readonly string[]): Promise<number> {
  const p = parseFlags(args, ['--s3-endpoint'], []);
  if (typeof p === 'string') return usage(p);
  const [dir, ...extra] = p.positional;
  if (dir === undefined || extra.length > 0) return usage('commit takes one SHARED_DIR');
  const endpoint = s3Endpoint(p.values, dir);
  if (endpoint instanceof Error) return usage(endpoint.message);
  const r = await commitSharded(dir, endpoint === undefined ? {} : { s3Endpoint: endpoint });
  console.log(
    r.outcome === 'already-committed'
      ? `${r.folder}: already committed (${r.shards} shards, ${r.entries} ids, ${r.rows} manifest rows); nothing to do`
      : `${r.folder}: committed ${r.shards} shards, ${r.entries} ids, ${r.rows} manifest rows`,
  );
  return 0;
}

async function pull(args: readonly string[]): Promise<number> {
  const p = parseFlags(args, ['--to', '--s3-endpoint'], []);
  if (typeof p === 'string') return usage(p);
  const [dir, ...extra] = p.positional;
  const to = p.values.get('--to');
  if (dir === undefined || extra.length > 0 || to === undefined) return usage('pull takes one SHARED_DIR and --to LOCAL_DIR');
  const endpoint = s3Endpoint(p.values, dir);
  if (endpoint instanceof Error) return usage(endpoint.message);
  const r = await pullSharded(dir, to, endpoint === undefined ? {} : { s3Endpoint: endpoint });
  console.log(
    r.outcome === 'already-pulled'
      ? `${r.to}: already a copy of this commit of ${r.from}; nothing to do`
      : `pulled ${r.shards} shards (${(r.bytes / 2 ** 20).toFixed(2)} MiB, SHA-256 checked) from ${r.from} to ${r.to}`,
  );
  return 0;
}

/** Runs `fuseflow cache fill|commit|pull …` (`sub` is the subcommand). */
export function runShardCommand(sub: 'fill' | 'commit' | 'pull', args: readonly string[]): Promise<number> {
  if (sub === 'fill') return fill(args);
  return sub === 'commit' ? commit(args) : pull(args);
}

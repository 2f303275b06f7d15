/**
 * The sharded cache end to end, as a cluster runs it: 240 ids of small images through a real
 * static pipeline, filled once as one shard and once by 4 OS processes ranked exactly as a Slurm
 * array ranks them (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, no --index), one of them
 * SIGKILLed mid-shard and rerun. Compared with a plain (unsharded) cache of the same pipeline:
 * every output's payload hash, the committed manifest (bytes, rows and order), `cache verify
 * --recompute`, and the dataset stream sample for sample.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CACHE_FILES, openCacheFolder, openSampleCache, readManifest, type SampleCache } from '../../src/cache/index.js';
import { encodePayload } from '../../src/cache/payload-codec.js';
import { shardIds, shardName } from '../../src/cache/sharded/shard-assign.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { randGaussianNoise } from '../../src/ops/image/index.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { dataset } from '../../src/streams/dataset.js';
import { ids, staticPipeline } from '../cache/sharded/shard-dataset.js';
import { tempFolder } from '../temp-folder.js';
import { runCli } from './run-cli.js';

const { dir } = tempFolder('ff-cache-shards-');
const MODULE = fileURLToPath(new URL('../cache/sharded/shard-dataset.ts', import.meta.url));
const RANK_VARS = /^(SLURM_|RANK$|WORLD_SIZE$|JOB_COMPLETION_|FUSEFLOW_WORLD_SIZE$)/;

/** Runs `fuseflow cache fill` as Slurm array task `task` of 4 (task 1 on a worker thread, the others in-thread); kills it (SIGKILL) after `killAfter` committed ids when given. */
function arrayTask(task: number, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; committed: number }> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !RANK_VARS.test(k)));
  Object.assign(env, { SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_JOB_ID: '4242' });
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'cache',
    'fill',
    MODULE,
    '--shards',
    '4',
    '--to',
    join(dir, 'shared4'),
    '--local',
    join(dir, `node-${task}`),
    '--threads',
    task === 1 ? '1' : '0',
    '--progress',
  ];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let committed = 0;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    committed = (err.match(/^committed /gm) ?? []).length;
    if (killAfter !== undefined && committed >= killAfter) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out: out + err, committed })));
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** SHA-256 of every output's encoded payload, by initial id. */
async function payloadHashes(cache: SampleCache): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const id of ids) out[id] = ((await cache.get(id)) ?? []).map((s) => sha(encodePayload(s)));
  return out;
}

/** Fingerprints of the dataset stream (epoch 0, seed 5, with a random dynamic op) over `store`. */
async function streamed(store: SampleCache | undefined): Promise<string[]> {
  const ds = dataset({ ids, staticPipeline, dynamicPipeline: [randGaussianNoise({ keys: ['data.img'], std: 0.1 })], ...(store === undefined ? {} : { store }) });
  const out: string[] = [];
  for await (const s of ds.stream({ epoch: 0, seed: 5 })) out.push(fingerprint(s));
  return out;
}

describe('fuseflow cache fill --shards / commit / pull', () => {
  it('4 Slurm-ranked processes, one killed mid-shard and rerun, give the cache one process gives', async () => {
    // Reference: the same pipeline as one plain cache.
    const plain = openSampleCache({ dir: join(dir, 'plain'), pipeline: pipeline(staticPipeline, { name: 'static' }), audit: false });
    await plain.fill(ids, { threads: 0 });
    await plain.close();

    // World size 1 (one shard, explicit index).
    const one = await runCli('cache', 'fill', MODULE, '--shards', '1', '--index', '0', '--to', join(dir, 'shared1'), '--local', join(dir, 'node-x'), '--threads', '2');
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/shard 00000-of-00001 \(--index\/--shards\): 240 ids \(0 already in the local environment, 240 computed, 1 dropped\); published/);
    expect((await runCli('cache', 'commit', join(dir, 'shared1'))).code).toBe(0);

    // Four array tasks at once; task 2 is killed after 5 committed ids.
    const victimIds = shardIds(ids, 2, 4).length;
    const runs = await Promise.all([arrayTask(0), arrayTask(1), arrayTask(2, 5), arrayTask(3)]);
    for (const t of [0, 1, 3]) expect(runs[t]).toMatchObject({ code: 0, signal: null });
    expect(runs[0]?.out).toMatch(/shard 00000-of-00004 \(SLURM_ARRAY_TASK_ID\/SLURM_ARRAY_TASK_COUNT\)/);
    expect(runs[2]?.signal).toBe('SIGKILL');
    const early = await runCli('cache', 'status', join(dir, 'shared4'));
    expect(early.code).toBe(0);
    expect(early.out).toMatch(/shards {5}3 of 4 published, not committed \(missing: 2\)/);
    const commitEarly = await runCli('cache', 'commit', join(dir, 'shared4'));
    expect(commitEarly.code).toBe(1);
    expect(commitEarly.err).toMatch(/1 of 4 shards are not published: 2 /);
    // The killed task's local environment kept what it committed, and no more than its shard.
    const localFolder = join(dir, 'node-2', `${plain.key.slice(0, 16)}-${shardName(2, 4)}`, plain.key);
    const partial = await openCacheFolder(localFolder);
    const kept = partial.status().entries;
    await partial.close();
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThan(victimIds);

    // Rerun: task 2 resumes (computes only the rest); task 0 finds its shard published.
    const rerun = await arrayTask(2);
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain(`${victimIds} ids (${kept} already in the local environment, ${victimIds - kept} computed`);
    const again = await arrayTask(0);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/shard 00000-of-00004 .*already published/);
    const commit = await runCli('cache', 'commit', join(dir, 'shared4'));
    expect(commit.code).toBe(0);
    expect(commit.out).toMatch(/committed 4 shards, 240 ids, 241 manifest rows/);
    expect((await runCli('cache', 'commit', join(dir, 'shared4'))).out).toMatch(/already committed/);

    // Per-sample payload hashes.
    const reference = await openCacheFolder(plain.folder);
    const shared1 = await openCacheFolder(join(dir, 'shared1'));
    const shared4 = await openCacheFolder(join(dir, 'shared4'));
    const hashes = await payloadHashes(reference);
    expect(Object.values(hashes).flat()).toHaveLength(240); // 239 kept (case-007 dropped), case-013 split in two
    expect(await payloadHashes(shared1)).toEqual(hashes);
    expect(await payloadHashes(shared4)).toEqual(hashes);

    // The committed manifest: the same bytes as the plain cache's, rows in id order, labels n mod 3.
    const manifestBytes = readFileSync(join(plain.folder, CACHE_FILES.manifest));
    expect(readFileSync(join(dir, 'shared4', CACHE_FILES.manifest))).toEqual(manifestBytes);
    expect(readFileSync(join(dir, 'shared1', CACHE_FILES.manifest))).toEqual(manifestBytes);
    const m = readManifest(join(dir, 'shared4', CACHE_FILES.manifest));
    const initial = m.getChild('initialSampleId')?.toArray() as string[];
    expect(initial).toEqual([...ids.slice(0, 13), 'case-013', ...ids.slice(13)]);
    const labels = m.getChild('data.label')?.toArray() as Float64Array;
    const status = m.getChild('status')?.toArray() as string[];
    initial.forEach((id, row) => {
      if (id === 'case-007') expect(status[row]).toBe('dropped');
      else expect(labels[row]).toBe(Number(id.slice(5)) % 3);
    });

    // cache verify --recompute and status on the sharded folder.
    const verify = await runCli('cache', 'verify', join(dir, 'shared4'), '--recompute', '--ops-module', MODULE);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/240 entries checked \(recomputed\), 0 problem\(s\)/);
    const status4 = await runCli('cache', 'status', join(dir, 'shared4'));
    expect(status4.out).toMatch(/entries {4}240 initial ids \(1 dropped\)/);
    expect(status4.out).toMatch(/shards {5}4 \(committed/);

    // Pull to local disk; the dataset stream over every cache equals the uncached stream.
    const pulled = await runCli('cache', 'pull', join(dir, 'shared4'), '--to', join(dir, 'pulled'));
    expect(pulled.out).toMatch(/pulled 4 shards .* SHA-256 checked/);
    const local = await openCacheFolder(join(dir, 'pulled'));
    const uncached = await streamed(undefined);
    expect(uncached).toHaveLength(240);
    expect(await streamed(reference)).toEqual(uncached);
    expect(await streamed(shared4)).toEqual(uncached);
    expect(await streamed(local)).toEqual(uncached);
    for (const c of [reference, shared1, shared4, local]) await c.close();
  }, 180_000);
});

describe('fuseflow cache fill / commit / pull: usage and refusals', () => {
  it('exits 2 with the usage for missing or bad flags, 1 naming the folder for what is not a sharded cache', async () => {
    const noTo = await runCli('cache', 'fill', MODULE, '--shards', '4');
    expect(noTo.code).toBe(2);
    expect(noTo.err).toMatch(/fill needs --shards N and --to SHARED_DIR/);
    expect((await runCli('cache', 'fill', MODULE, '--shards', 'four', '--to', dir)).err).toMatch(/--shards must be an integer >= 1, got 'four'/);
    expect((await runCli('cache', 'fill', MODULE, '--shards', '4', '--index', '4', '--to', join(dir, 'x'))).err).toMatch(/shard index must be an integer from 0 to 3/);
    expect((await runCli('cache', 'fill', MODULE, '--shards', '4', '--to', dir, '--bogus')).code).toBe(2);
    expect((await runCli('cache', 'pull', dir)).code).toBe(2);
    const commit = await runCli('cache', 'commit', join(dir, 'missing-folder'));
    expect(commit.code).toBe(1);
    expect(commit.err).toMatch(/missing-folder: not a sharded cache \(no sharded\.json\)/);
  });
});

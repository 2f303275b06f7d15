import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { CACHE_FILES, openCacheFolder, openSampleCache, readManifest } from '../../../src/cache/index.js';
import { commitShards } from '../../../src/cache/sharded/commit-shards.js';
import { loadDatasetModule, type DatasetDefinition } from '../../../src/cache/sharded/dataset-module.js';
import { fillShard } from '../../../src/cache/sharded/fill-shard.js';
import { pullShards } from '../../../src/cache/sharded/pull-shards.js';
import { deleteShardedCache } from '../../../src/cache/sharded/delete-sharded.js';
import { shardIds, shardName, shardOfId } from '../../../src/cache/sharded/shard-assign.js';
import { readPlan, SHARDED_FILES } from '../../../src/cache/sharded/shard-files.js';
import { ShardedEntryStore } from '../../../src/cache/sharded/sharded-store.js';
import { PUBLISHING } from '../../../src/cache/sharded/publish-shard.js';
import { InputError } from '../../../src/core/errors.js';
import { OutputError, writerHost } from '../../../src/core/safe-fs.js';
import { encodePayload } from '../../../src/cache/payload-codec.js';
import { createHash } from 'node:crypto';
import { isIdColumn } from '../../../src/core/ids/id-column.js';
import { tempFolder } from '../../temp-folder.js';

const { dir } = tempFolder('ff-sharded-');
const fewModule = fileURLToPath(new URL('./few-ids-dataset.ts', import.meta.url));
/** The ids of a dataset module exporting a string[]. */
const listOf = (d: DatasetDefinition): readonly string[] => {
  if (isIdColumn(d.ids)) throw new Error(`${d.file} exports an id column`);
  return d.ids;
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** sha256 of each output's encoded payload, by initial id, from any cache. */
async function payloadHashes(
  cache: { get(id: string): Promise<readonly import('../../../src/core/sample.js').Sample[] | undefined> },
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const id of ids)
    out.set(
      id,
      ((await cache.get(id)) ?? []).map((s) => sha(encodePayload(s))),
    );
  return out;
}

describe('shard assignment', () => {
  it('is the first 48 bits of SHA-256 modulo the count (values from python hashlib)', () => {
    // python3: int(hashlib.sha256(id.encode()).hexdigest()[:12], 16) % n
    expect([4, 4096, 7].map((n) => shardOfId('case-000', n))).toEqual([3, 1387, 3]);
    expect([4, 4096, 7].map((n) => shardOfId('case-123', n))).toEqual([2, 106, 2]);
    expect([4, 4096, 7].map((n) => shardOfId('few-5', n))).toEqual([2, 3290, 2]);
    expect([4, 4096, 7].map((n) => shardOfId('x', n))).toEqual([2, 1830, 3]);
    // UTF-8 bytes of non-ASCII ids.
    expect([4, 4096, 7].map((n) => shardOfId('café-ü', n))).toEqual([2, 3234, 2]);
    expect([4, 4096, 7].map((n) => shardOfId('病例-7', n))).toEqual([3, 1399, 5]);
  });

  it('splits ids into disjoint sorted shards that cover them all, whatever their order', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `id-${(i * 7919) % 300}`);
    const shards = [0, 1, 2, 3, 4].map((i) => shardIds(ids, i, 5));
    expect(shards.flat().sort()).toEqual([...ids].sort());
    for (const s of shards) expect(s).toEqual([...s].sort());
    expect(shardIds([...ids].reverse(), 2, 5)).toEqual(shards[2]);
    expect(() => shardIds(ids, 5, 5)).toThrow(/shard index must be an integer from 0 to 4/);
    expect(shardName(2, 4)).toBe('00002-of-00004');
  });
});

describe('4,096 shards over 24 ids', () => {
  it('fills (most shards empty), commits and reads back exactly as one cache', async () => {
    const ds = await loadDatasetModule(fewModule);
    // On tmpfs when there is one: 4,096 publishes are 4,096 file and 8,192 folder fsyncs, which a
    // busy disk makes the slowest part of the test while the test is about the shard logic.
    const base = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/ff-sharded-') : dir;
    onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    const shared = join(base, 'many');
    for (let i = 0; i < 4096; i++) await fillShard({ dataset: ds, shards: 4096, index: i, to: shared, local: join(base, 'many-local'), threads: 0 });
    const names = readdirSync(join(shared, SHARDED_FILES.shards));
    expect(names).toHaveLength(4096);
    expect(commitShards(shared)).toMatchObject({ shards: 4096, entries: 24, rows: 24, outcome: 'committed' });

    const single = openSampleCache({ dir: join(dir, 'many-single'), pipeline: ds.staticPipeline, salt: ds.salt, audit: false });
    await single.fill(listOf(ds), { threads: 0 });
    await single.close();
    const plain = await openCacheFolder(single.folder);
    const sharded = await openCacheFolder(shared);
    expect(sharded.key).toBe(plain.key);
    expect(await payloadHashes(sharded, listOf(ds))).toEqual(await payloadHashes(plain, listOf(ds)));
    expect(sharded.status()).toMatchObject({ entries: 24, outputs: 24, dropped: 0 });
    expect(await sharded.verify()).toEqual([]);
    expect(readFileSync(join(shared, CACHE_FILES.manifest))).toEqual(readFileSync(join(single.folder, CACHE_FILES.manifest)));
    // At most 2 shard environments open: every lookup still finds its entry, twice over.
    const plan = readPlan(shared);
    if (plan === undefined) throw new Error('no plan');
    const tight = new ShardedEntryStore(shared, plan, 2);
    for (let pass = 0; pass < 2; pass++) {
      for (const id of listOf(ds)) expect(tight.entry(id)?.initialId).toBe(id);
      expect([...tight.all()].map((e) => e.initialId).sort()).toEqual([...listOf(ds)].sort());
    }
    await tight.close();
    await sharded.close();
    await plain.close();
  }, 60_000);
});

describe('commit, pull and reruns', () => {
  let ds: DatasetDefinition;
  const shared = join(dir, 'small');
  const fill = (index: number): ReturnType<typeof fillShard> => fillShard({ dataset: ds, shards: 5, index, to: shared, local: join(dir, `small-local-${index}`), threads: 0 });

  it('names the shards that are missing, and never takes a half-published one for a shard', async () => {
    ds = await loadDatasetModule(fewModule);
    await fill(0);
    await fill(3);
    // A publish killed mid-copy leaves a temporary folder: it is not a shard.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = join(shared, PUBLISHING, `${shardName(1, 5)}.${dead}.00ab@${writerHost()}`);
    // One left by a publish on another host: fuseflow cannot tell whether it still runs, so it is kept and named.
    const foreign = join(shared, PUBLISHING, `${shardName(1, 5)}.${dead}.00cd@other-node.example`);
    for (const f of [stale, foreign]) {
      mkdirSync(f);
      writeFileSync(join(f, CACHE_FILES.store), 'half');
    }
    const said: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => said.push(String(chunk)) > 0);
    onTestFinished(() => spy.mockRestore());
    expect(() => commitShards(shared)).toThrow(/3 of 5 shards are not published: 1-2, 4/);
    expect(existsSync(join(shared, SHARDED_FILES.committed))).toBe(false);
    await expect(openCacheFolder(shared)).rejects.toThrow(/not committed yet .*fuseflow cache commit/);
    expect((await fill(1)).outcome).toBe('published');
    expect(existsSync(stale)).toBe(false); // removed by the next publish of shard 1 on this host (its process is dead)
    expect(existsSync(foreign)).toBe(true);
    expect(said.join('')).toContain(
      `fuseflow: kept 1 temporary file of shard ${shardName(1, 5)} left by a writer on another host or container (it may still be running; remove it once it is not): ${foreign}\n`,
    );
    rmSync(foreign, { recursive: true });
  });

  it('a published shard is left alone; a rerun of fill and commit does nothing', async () => {
    await fill(2);
    await fill(4);
    expect((await fill(3)).outcome).toBe('already-published');
    expect(commitShards(shared).outcome).toBe('committed');
    const manifest = readFileSync(join(shared, CACHE_FILES.manifest));
    expect(commitShards(shared).outcome).toBe('already-committed');
    expect(readFileSync(join(shared, CACHE_FILES.manifest))).toEqual(manifest);
    expect(readManifest(join(shared, CACHE_FILES.manifest)).getChild('initialSampleId')?.toArray()).toEqual([...listOf(ds)].sort());
  });

  it('refuses another shard count or another pipeline in the same folder', async () => {
    await expect(fillShard({ dataset: ds, shards: 4, index: 0, to: shared, threads: 0 })).rejects.toThrow(/planned with 5 shards, this fill says --shards 4/);
    const other = { ...ds, salt: 'another' };
    await expect(fillShard({ dataset: other, shards: 5, index: 0, to: shared, threads: 0 })).rejects.toThrow(/another static pipeline or salt/);
  });

  it('pulls to local disk checking SHA-256, once; a damaged byte on the shared side is refused and nothing is left', async () => {
    const local = join(dir, 'pulled');
    // A pull killed mid-copy on this host left its temporary folder (named by pid and host): the next pull to that target removes it.
    const killed = join(dir, `.pulled.tmp-${spawnSync(process.execPath, ['-e', '0']).pid}-k1@${writerHost()}`);
    mkdirSync(join(killed, SHARDED_FILES.shards), { recursive: true });
    writeFileSync(join(killed, CACHE_FILES.pipeline), 'half');
    expect(pullShards(shared, local).outcome).toBe('pulled');
    expect(existsSync(killed)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.pulled'))).toEqual([]);
    expect(pullShards(shared, local).outcome).toBe('already-pulled');
    const pulled = await openCacheFolder(local);
    const fromShared = await openCacheFolder(shared);
    expect(await payloadHashes(pulled, listOf(ds))).toEqual(await payloadHashes(fromShared, listOf(ds)));
    expect(pulled.manifest().numRows).toBe(24);
    await pulled.close();
    await fromShared.close();
    expect(() => pullShards(shared, join(dir, 'small-local-0'))).toThrow(OutputError);

    const victim = shardIds(listOf(ds), 2, 5).length > 0 ? 2 : 0;
    const store = join(shared, SHARDED_FILES.shards, shardName(victim, 5), CACHE_FILES.store);
    const bytes = readFileSync(store);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    writeFileSync(store, bytes);
    const target = join(dir, 'pulled-bad');
    expect(() => pullShards(shared, target)).toThrow(/does not match its recorded SHA-256/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.pulled-bad'))).toEqual([]);

    truncateSync(store, 4096);
    expect(() => commitShards(shared)).toThrow(new RegExp(`shard ${shardName(victim, 5)}: .*cache.mdb has 4096 bytes`));
    await expect(openCacheFolder(shared).then((c) => c.status())).rejects.toThrow(InputError);
  });
});

describe('bad input', () => {
  const { write } = tempFolder('ff-sharded-modules-');

  it('a dataset module that breaks the contract is refused naming the file and the export', async () => {
    await expect(loadDatasetModule(join(dir, 'nope.mjs'))).rejects.toThrow(/nope\.mjs: no such dataset module/);
    const noIds = write('no-ids.mjs', 'export const staticPipeline = [];\n');
    await expect(loadDatasetModule(noIds)).rejects.toThrow(new RegExp(`${noIds}: export 'ids' is missing`));
    await expect(loadDatasetModule(write('twice.mjs', "export const ids = ['a', 'b', 'a'];\n"))).rejects.toThrow(/id 'a' appears twice/);
    await expect(loadDatasetModule(write('empty-id.mjs', "export const ids = () => ['a', ''];\n"))).rejects.toThrow(/ids\[1\] is "", not a non-empty string/);
    await expect(loadDatasetModule(write('no-pipeline.mjs', "export const ids = ['a'];\n"))).rejects.toThrow(/export 'staticPipeline' is missing/);
    await expect(loadDatasetModule(write('not-ops.mjs', "export default { ids: ['a'], staticPipeline: [{}] };\n"))).rejects.toThrow(
      /not-ops\.mjs: export 'staticPipeline' is not a Pipeline or a non-empty array of ops/,
    );
  });

  it('without --index the rank comes from the launcher; none, or a count that disagrees, is an error naming the variables', async () => {
    const ds = await loadDatasetModule(fewModule);
    const to = join(dir, 'ranked');
    await expect(fillShard({ dataset: ds, shards: 3, to, env: {}, threads: 0 })).rejects.toThrow(InputError);
    await expect(fillShard({ dataset: ds, shards: 3, to, env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }, threads: 0 })).rejects.toThrow(/SLURM_ARRAY_TASK_COUNT/);
    const r = await fillShard({ dataset: ds, shards: 3, to, env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }, threads: 0, local: join(dir, 'ranked-local') });
    expect(r).toMatchObject({ index: 1, shards: 3, outcome: 'published', ids: shardIds(listOf(ds), 1, 3).length });
    expect(r.rankSource).toMatch(/SLURM_ARRAY_TASK_ID/);
  });
});

describe('delete', () => {
  it('removes a sharded cache shard by shard through the markers, and keeps a folder holding foreign files', async () => {
    const ds = await loadDatasetModule(fewModule);
    const to = join(dir, 'to-delete');
    for (let i = 0; i < 3; i++) await fillShard({ dataset: ds, shards: 3, index: i, to, threads: 0, local: join(dir, 'del-local') });
    commitShards(to);
    const foreign = join(to, SHARDED_FILES.shards, shardName(1, 3), 'notes.txt');
    writeFileSync(foreign, 'mine');
    const r = deleteShardedCache(to);
    expect(r.shardsRemoved).toBe(2);
    expect(r.shardsKept).toEqual([join(to, SHARDED_FILES.shards, shardName(1, 3))]);
    expect(readdirSync(join(to, SHARDED_FILES.shards, shardName(1, 3)))).toEqual(['notes.txt']);
    expect(r.folderRemoved).toBe(false);
    expect(readdirSync(to).sort()).toEqual([SHARDED_FILES.shards]);
  });
});

describe('openSampleCache on a pulled sharded cache', () => {
  it('reads the shards as one cache under <dir>/<key>, read-only, and never starts a cache.mdb beside them', async () => {
    const ds = await loadDatasetModule(fewModule);
    const shared = join(dir, 'for-open');
    for (let i = 0; i < 2; i++) await fillShard({ dataset: ds, shards: 2, index: i, to: shared, threads: 0, local: join(dir, 'open-local') });
    commitShards(shared);
    const probe = openSampleCache({ dir: join(dir, 'probe'), pipeline: ds.staticPipeline, salt: ds.salt, audit: false });
    await probe.fill(listOf(ds), { threads: 0 });
    await probe.close();
    pullShards(shared, join(dir, 'root', probe.key));
    const cache = openSampleCache({ dir: join(dir, 'root'), pipeline: ds.staticPipeline, salt: ds.salt, audit: false });
    const plain = await openCacheFolder(probe.folder);
    expect(await payloadHashes(cache, listOf(ds))).toEqual(await payloadHashes(plain, listOf(ds)));
    await plain.close();
    expect(existsSync(join(dir, 'root', probe.key, CACHE_FILES.store))).toBe(false);
    await expect(cache.getOrCompute('not-in-the-dataset')).rejects.toThrow(/a sharded cache is read-only/);
    await cache.close();
  });
});

describe('two fills of one shard at once (a queue retrying a stalled job on the same node)', () => {
  it('both end well: one publishes, the other finds the shard published', async () => {
    const ds = await loadDatasetModule(fewModule);
    const to = join(dir, 'twice');
    const one = (): ReturnType<typeof fillShard> => fillShard({ dataset: ds, shards: 2, index: 0, to, threads: 0, local: join(dir, 'twice-local') });
    const outcomes = (await Promise.all([one(), one()])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['already-published', 'published']);
    await fillShard({ dataset: ds, shards: 2, index: 1, to, threads: 0 });
    expect(commitShards(to)).toMatchObject({ entries: 24, outcome: 'committed' });
  });
});

/**
 * A dataset module exporting its ids as an Arrow id column (`idsFromArrowFile`): `cache fill`
 * streams the column once, keeps its shard's ids, and everything after it (publish, commit,
 * manifest, pull, the dataset stream over the cache) is what the same ids as a `string[]` give.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CACHE_FILES, openSampleCache } from '../../../src/cache/index.js';
import { cacheKey } from '../../../src/cache/cache-key.js';
import { pipelineSpec } from '../../../src/ops/pipeline.js';
import { commitShards } from '../../../src/cache/sharded/commit-shards.js';
import { loadDatasetModule, type DatasetDefinition } from '../../../src/cache/sharded/dataset-module.js';
import { fillShard } from '../../../src/cache/sharded/fill-shard.js';
import { pullShards } from '../../../src/cache/sharded/pull-shards.js';
import { shardIds, shardIdsOf, shardOfId } from '../../../src/cache/sharded/shard-assign.js';
import { InputError } from '../../../src/core/errors.js';
import type { Sample } from '../../../src/core/sample.js';
import type { ArrowFileIds } from '../../../src/core/ids/arrow-file-ids.js';
import { dataset } from '../../../src/streams/dataset.js';
import { isIdColumn } from '../../../src/core/ids/id-column.js';
import { randNoise } from '../test-ops.js';
import { idOfRow, writeIdFile } from '../../../bench/lib/id-file.js';
import { runCli } from '../../cli/run-cli.js';
import { tempFolder } from '../../temp-folder.js';

const { dir, write } = tempFolder('ff-shard-idcol-');
const listModule = fileURLToPath(new URL('./id-list-dataset.ts', import.meta.url));
const columnModule = fileURLToPath(new URL('./id-column-dataset.ts', import.meta.url));
const child = fileURLToPath(new URL('./scan-rss-child.ts', import.meta.url));

/** `ids` written as the Utf8 column `id` (after a float column) in record batches of `batchRows`. */
function arrowFile(name: string, ids: readonly (string | null)[], batchRows: number): string {
  const batches = [];
  for (let i = 0; i < ids.length; i += batchRows) {
    const part = ids.slice(i, i + batchRows);
    batches.push(...new Table({ weight: vectorFromArray(part.map((_, k) => i + k / 2)), id: vectorFromArray(part, new Utf8()) }).batches);
  }
  return write(name, tableToIPC(new Table(batches), 'file'));
}

/** Loads id-column-dataset.ts over the Arrow file `file`. */
async function columnDataset(file: string): Promise<DatasetDefinition & { readonly ids: ArrowFileIds }> {
  process.env['FUSEFLOW_TEST_ID_FILE'] = file;
  try {
    const ds = await loadDatasetModule(columnModule);
    if (!isIdColumn(ds.ids)) throw new Error('expected an id column');
    return ds as DatasetDefinition & { readonly ids: ArrowFileIds };
  } finally {
    delete process.env['FUSEFLOW_TEST_ID_FILE'];
  }
}

/** Fills every shard of `ds` into `to` (a shard at a time, as separate jobs would) and commits. */
async function fillAll(ds: DatasetDefinition, shards: number, to: string): Promise<number[]> {
  const counts: number[] = [];
  for (let index = 0; index < shards; index++) counts.push((await fillShard({ dataset: ds, shards, index, to, local: `${to}-local`, threads: 0 })).ids);
  commitShards(to);
  return counts;
}

async function collect(it: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('a dataset module exporting its ids as an Arrow id column', () => {
  it('fills, commits and streams exactly as the same ids as a string[] (200 ids, 3 shards)', async () => {
    const list = await loadDatasetModule(listModule);
    if (isIdColumn(list.ids)) throw new Error('expected a string[]');
    const names = list.ids;
    const column = await columnDataset(arrowFile('ids.arrow', names, 23));
    const reversed = await columnDataset(arrowFile('reversed.arrow', [...names].reverse(), 64));
    expect(column.ids.length).toBe(200);

    const counts = await fillAll(list, 3, join(dir, 'from-list'));
    expect(await fillAll(column, 3, join(dir, 'from-column'))).toEqual(counts);
    await fillAll(reversed, 3, join(dir, 'from-reversed'));
    // Shard sizes are those of the hash rule (python3: int(sha256(id).hexdigest()[:12], 16) % 3).
    expect(counts).toEqual([0, 1, 2].map((i) => names.filter((id) => shardOfId(id, 3) === i).length));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    for (let i = 0; i < 3; i++) expect(shardIdsOf(column.ids, i, 3, columnModule)).toEqual(shardIds(names, i, 3));
    // Progress every 65,536 rows and at the end.
    const calls: [number, number][] = [];
    const many = Array.from({ length: 140_000 }, (_, i) => `m${i}`);
    expect(shardIdsOf(many, 1, 3, 'many', (rows, total) => calls.push([rows, total]))).toEqual(shardIds(many, 1, 3));
    expect(calls).toEqual([
      [65_536, 140_000],
      [131_072, 140_000],
      [140_000, 140_000],
    ]);

    // The committed manifests are the same bytes (the manifest is sorted by id, whatever the row order).
    const manifest = (to: string): Buffer => readFileSync(join(dir, to, CACHE_FILES.manifest));
    expect(manifest('from-column')).toEqual(manifest('from-list'));
    expect(manifest('from-reversed')).toEqual(manifest('from-list'));

    // Pulled to local disk and opened as a dataset's static store: the same stream, sample for sample,
    // as the string[] dataset over its own cache and as computing the static pipeline in this thread.
    const stores = [];
    for (const name of ['from-list', 'from-column']) {
      const root = join(dir, `${name}-pulled`);
      pullShards(join(dir, name), join(root, cacheKey(pipelineSpec(list.staticPipeline), list.salt)));
      stores.push(openSampleCache({ dir: root, pipeline: list.staticPipeline, salt: list.salt, audit: false }));
    }
    const [listStore, columnStore] = stores as [ReturnType<typeof openSampleCache>, ReturnType<typeof openSampleCache>];
    const dynamicPipeline = [randNoise({ key: 'data.img', std: 0.5 })];
    const fromList = dataset({ ids: names, staticPipeline: list.staticPipeline, dynamicPipeline, store: listStore });
    const fromColumn = dataset({ ids: column.ids, staticPipeline: column.staticPipeline, dynamicPipeline, store: columnStore });
    const computed = dataset({ ids: names, staticPipeline: list.staticPipeline, dynamicPipeline });
    for (const [epoch, shard] of [
      [0, { rank: 0, worldSize: 1 }],
      [3, { rank: 1, worldSize: 2 }],
    ] as const) {
      const want = await collect(computed.stream({ epoch, seed: 11, shard }));
      expect(want.length).toBeGreaterThan(80);
      expect(await collect(fromList.stream({ epoch, seed: 11, shard }))).toEqual(want);
      expect(await collect(fromColumn.stream({ epoch, seed: 11, shard }))).toEqual(want);
    }
    expect(columnStore.status()).toMatchObject({ entries: 200, outputs: 200, dropped: 1 });
    await listStore.close();
    await columnStore.close();
    column.ids.close();
    reversed.ids.close();
  }, 60_000);

  it('through the command line: fuseflow cache fill/commit of the column module give the string[] manifest; a repeated id exits 1 naming it', async () => {
    const list = await loadDatasetModule(listModule);
    const names = list.ids as readonly string[];
    await fillAll(list, 2, join(dir, 'cli-list'));
    const ids = arrowFile('cli.arrow', names, 40);
    const to = join(dir, 'cli-column');
    process.env['FUSEFLOW_TEST_ID_FILE'] = ids;
    try {
      for (const index of ['0', '1']) {
        const r = await runCli('cache', 'fill', columnModule, '--shards', '2', '--index', index, '--to', to, '--local', join(dir, 'cli-local'), '--threads', '0');
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(new RegExp(`shard 0000${index}-of-00002 .*: ${shardIds(names, Number(index), 2).length} ids .*published`));
      }
      expect((await runCli('cache', 'commit', to)).code).toBe(0);
      expect(readFileSync(join(to, CACHE_FILES.manifest))).toEqual(readFileSync(join(dir, 'cli-list', CACHE_FILES.manifest)));
      process.env['FUSEFLOW_TEST_ID_FILE'] = arrowFile('cli-twice.arrow', [...names.slice(0, 120), 'p-101', ...names.slice(120)], 40);
      const twice = await runCli('cache', 'fill', columnModule, '--shards', '2', '--index', String(shardOfId('p-101', 2)), '--to', join(dir, 'cli-twice'), '--threads', '0');
      expect(twice.code).toBe(1);
      expect(twice.err).toMatch(/id 'p-101' is on rows 101 and 120 of .*cli-twice\.arrow, column 'id'/);
    } finally {
      delete process.env['FUSEFLOW_TEST_ID_FILE'];
    }
  }, 60_000);

  it('refuses an empty, repeated or null id in the column, naming the module, the column and the rows', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
    const twice = await columnDataset(arrowFile('twice.arrow', [...names, 'p-005'], 50));
    const home = shardOfId('p-005', 3);
    const fill = (ds: DatasetDefinition, index: number, to: string): ReturnType<typeof fillShard> =>
      fillShard({ dataset: ds, shards: 3, index, to: join(dir, to), local: join(dir, `${to}-local`), threads: 0 });
    // Two equal ids fall in one shard: its fill finds them (the other shards' fills cannot see them).
    await expect(fill(twice, home, 'twice')).rejects.toThrow(new RegExp(`${columnModule}: id 'p-005' is on rows 5 and 200 of .*twice\\.arrow, column 'id'.*must be unique`));
    expect(existsSync(join(dir, 'twice', 'shards'))).toBe(false);
    expect((await fill(twice, (home + 1) % 3, 'twice')).outcome).toBe('published');
    twice.ids.close();

    const empty = await columnDataset(arrowFile('empty-id.arrow', [...names.slice(0, 70), '', ...names.slice(70)], 64));
    await expect(fill(empty, 0, 'empty')).rejects.toThrow(InputError);
    await expect(fill(empty, 1, 'empty')).rejects.toThrow(/row 70 of .*empty-id\.arrow, column 'id' is an empty id/);
    empty.ids.close();

    const nulls = await columnDataset(arrowFile('null-id.arrow', [...names.slice(0, 130), null, ...names.slice(130)], 64));
    await expect(fill(nulls, 2, 'nulls')).rejects.toThrow(/null-id\.arrow, column 'id': row 130 holds no sample id \(null\)/);
    nulls.ids.close();

    const notColumn = write('not-column.mjs', 'export const ids = () => ({ length: 3, at: 5 });\nexport const staticPipeline = [];\n');
    await expect(loadDatasetModule(notColumn)).rejects.toThrow(/not-column\.mjs: export 'ids' is neither an array of strings nor an id column/);
  }, 60_000);
});

describe('bounded memory over a large id column', () => {
  it('a fill of one shard of 1,024 over 10^6 ids peaks within 20 MB of the same fill over 10^3 ids (the string[] path: ~84 MB)', async () => {
    const n = 1_000_000;
    const few = 1_000;
    const file = join(dir, 'many.arrow');
    const small = join(dir, 'few.arrow');
    await writeIdFile(file, n);
    await writeIdFile(small, few);
    const run = (ids: string, to: string): { ids: number; total: number; peakRssMb: number } => {
      // A 1 MB young generation: its default slack (tens of MB of garbage between scavenges) would hide what is kept.
      const r = spawnSync(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', child, ids, '1024', '7', join(dir, to), join(dir, `${to}-local`)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`scan-rss-child exited ${String(r.status)}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { ids: number; total: number; peakRssMb: number };
    };
    const base = run(small, 'few');
    const filled = run(file, 'many');
    console.log(`peak RSS of a fill of shard 7 of 1,024: over ${few} ids ${base.peakRssMb.toFixed(1)} MB, over ${n} ids ${filled.peakRssMb.toFixed(1)} MB`);
    // The shard's ids by the hash rule, counted here without the column.
    let want = 0;
    for (let row = 0; row < n; row++) if (shardOfId(idOfRow(row), 1024) === 7) want++;
    expect(filled).toMatchObject({ ids: want, total: n });
    expect(base.total).toBe(few);
    // The same fill with these 10^6 ids exported as a string[] grows by ~84 MB (the array, and the
    // module check's Set); the scan holds one chunk and this shard's ~1,000 ids (~9 MB measured).
    expect(filled.peakRssMb - base.peakRssMb).toBeLessThan(20);
  }, 120_000);
});

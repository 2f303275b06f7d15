import { Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FuseflowError, OptionsError } from '../../src/core/errors.js';
import { sampleIdOf, type Sample } from '../../src/core/sample.js';
import { idsFromArrowFile, type ArrowFileIds } from '../../src/core/ids/arrow-file-ids.js';
import { batch } from '../../src/streams/batch.js';
import { batchedDataset } from '../../src/streams/batched-dataset.js';
import { dataset } from '../../src/streams/dataset.js';
import { epochOrder, shardOf } from '../../src/streams/epoch-order.js';
import { idsFromArrowVector } from '../../src/core/ids/id-column.js';
import { indexPermutation, LISTED_PERMUTATION_MAX } from '../../src/streams/index-permutation.js';
import { rankIds, shardPositions } from '../../src/streams/rank-ids.js';
import { pipeline, pipelineSpec } from '../../src/ops/pipeline.js';
import { createWorkerRunner } from '../../src/workers/worker-runner.js';
import { makeVolume, randNoise, scale } from '../cache/test-ops.js';
import { tempFolder } from '../temp-folder.js';
import { addTo, randValue } from './helpers.js';

async function collect(it: AsyncIterable<Sample>, limit = Infinity): Promise<Sample[]> {
  const out: Sample[] = [];
  if (limit === 0) return out;
  for await (const s of it) {
    out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}
const sid = (xs: readonly Sample[]): string[] => xs.map(sampleIdOf);
const idList = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${String(i).padStart(6, '0')}`);

const { write } = tempFolder('fuseflow-ds-idcol-');
const opened: ArrowFileIds[] = [];
afterAll(() => opened.forEach((ids) => ids.close()));
/** The ids written to an Arrow file in record batches of `batchRows`, opened by row. */
function arrowIds(ids: readonly string[], batchRows: number): ArrowFileIds {
  const batches = [];
  for (let i = 0; i < ids.length; i += batchRows) batches.push(...new Table({ id: vectorFromArray(ids.slice(i, i + batchRows), new Utf8()) }).batches);
  const file = write(`ids-${ids.length}-${batchRows}.arrow`, tableToIPC(new Table(batches), 'file'));
  const opened1 = idsFromArrowFile(file);
  opened.push(opened1);
  return opened1;
}

const staticOps = [addTo({ key: 'data.x', by: 10 })];
const dynamicOps = [randValue({ key: 'data.r' }), addTo({ key: 'data.x', by: 1 })];

describe('shardPositions and rankIds', () => {
  it('shardPositions lists the positions shardOf gives each rank (blocks included)', () => {
    fc.assert(
      fc.property(fc.nat(80), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 7 }), (n, worldSize, block) => {
        const order = Array.from({ length: n }, (_, i) => i);
        for (let rank = 0; rank < worldSize; rank++) {
          const p = shardPositions(n, { rank, worldSize }, block);
          expect(Array.from({ length: p.length }, (_, i) => p.at(i))).toEqual(shardOf(order, { rank, worldSize }, block));
        }
      }),
    );
  });

  it('keeps the string[] order of before (epochOrder + shardOf), pinned for seed 1', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `id${i}`);
    const mine = rankIds(ids, { epoch: 0, seed: 1, shard: { rank: 1, worldSize: 2 } });
    const listed = Array.from({ length: mine.length }, (_, p) => mine.at(p));
    expect(listed).toEqual(shardOf(epochOrder(ids, { epoch: 0, seed: 1 }), { rank: 1, worldSize: 2 }));
    // Pinned: what a string[] dataset streamed before id columns existed (run at commit 7fa869e).
    const ds = dataset({ ids });
    expect(sid(await collect(ds.stream({ epoch: 0, seed: 1 })))).toEqual(['id1', 'id5', 'id7', 'id6', 'id4', 'id2', 'id3', 'id0', 'id9', 'id8']);
    expect(sid(await collect(ds.stream({ epoch: 3, seed: 1, shard: { rank: 1, worldSize: 2 } })))).toEqual(['id1', 'id9', 'id4', 'id7', 'id6']);
  });

  it('on a column above the listed size: shards are disjoint, their union is every row, each is the strided share of the permuted rows', () => {
    const n = LISTED_PERMUTATION_MAX + 4_321;
    const column = { length: n, label: 'rows', at: (row: number): string => String(row) };
    const perm = indexPermutation(n, { epoch: 2, seed: 9 });
    const seen = new Uint8Array(n);
    let misplaced = 0;
    for (let rank = 0; rank < 3; rank++) {
      const mine = rankIds(column, { epoch: 2, seed: 9, shard: { rank, worldSize: 3 } });
      expect(mine.length).toBe(Math.floor(n / 3) + (rank < n % 3 ? 1 : 0));
      for (let p = 0; p < mine.length; p++) {
        const row = Number(mine.at(p));
        if (row !== perm.at(rank + 3 * p)) misplaced++;
        seen[row] = (seen[row] as number) + 1;
      }
    }
    expect(misplaced).toBe(0);
    expect(seen.every((c) => c === 1)).toBe(true);
  });
});

describe('dataset over an Arrow id file', () => {
  it('streams the same samples in the same order as the string[] path (up to 65,536 ids), per shard and epoch', async () => {
    const ids = idList(300);
    const column = arrowIds(ids, 64);
    const fromList = dataset({ ids, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    const fromFile = dataset({ ids: column, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    expect(fromFile.ids).toBe(column);
    expect(fromFile.ids.length).toBe(300);
    for (const [epoch, shard] of [
      [0, { rank: 0, worldSize: 1 }],
      [1, { rank: 1, worldSize: 3 }],
      [3, { rank: 2, worldSize: 4 }],
    ] as const) {
      const want = await collect(fromList.stream({ epoch, seed: 5, shard, window: 8 }));
      const got = await collect(fromFile.stream({ epoch, seed: 5, shard, window: 8 }));
      expect(got).toEqual(want);
    }
    expect(sid(await collect(fromFile.stream({ shuffle: false })))).toEqual(ids);
  });

  it('above 65,536 ids: each rank streams its share, the shards are disjoint, their union is every id, each sample equals the string[] path sample', async () => {
    const ids = idList(LISTED_PERMUTATION_MAX + 1_000);
    const column = arrowIds(ids, 10_000);
    const fromFile = dataset({ ids: column, dynamicPipeline: [randValue({ key: 'data.r' })] });
    const fromList = dataset({ ids, dynamicPipeline: [randValue({ key: 'data.r' })] });
    const byId = new Map<string, Sample>();
    let total = 0;
    for (let rank = 0; rank < 2; rank++) {
      const stream = fromFile.stream({ epoch: 1, seed: 3, shard: { rank, worldSize: 2 }, window: 64 });
      expect(stream.length).toBe(ids.length / 2);
      for await (const s of stream) {
        byId.set(sampleIdOf(s), s);
        total++;
      }
    }
    expect(total).toBe(ids.length);
    expect(byId.size).toBe(ids.length);
    expect([...byId.keys()].sort()).toEqual(ids);
    // Not the file order, and the same random draws as the in-memory path (keyed by sample id).
    const firstIds = sid(await collect(fromFile.stream({ epoch: 1, seed: 3 }), 50));
    expect(firstIds).not.toEqual(ids.slice(0, 50));
    for (let i = 0; i < ids.length; i += 331) {
      const id = ids[i] as string;
      expect(byId.get(id)).toEqual(await fromList.get(id, { epoch: 1, seed: 3 }));
    }
  });

  it('resumes mid-epoch exactly from { epoch, seed, position }', async () => {
    const ids = idList(LISTED_PERMUTATION_MAX + 77);
    const ds = dataset({ ids: arrowIds(ids, 4_096), dynamicPipeline: dynamicOps });
    const shard = { rank: 5, worldSize: 8 };
    const full = sid(await collect(ds.stream({ epoch: 4, seed: 8, shard, window: 16 })));
    expect(full.length).toBe(Math.ceil((ids.length - 5) / 8));
    for (const k of [0, 1, 1_234, full.length - 1]) {
      const first = ds.stream({ epoch: 4, seed: 8, shard, window: 16 });
      const head = sid(await collect(first, k));
      const state = first.state();
      expect(state).toEqual({ epoch: 4, seed: 8, position: k });
      const tail = sid(await collect(ds.stream({ shard, window: 16, resume: state })));
      expect([...head, ...tail]).toEqual(full);
    }
  });

  it('batchedDataset over a column equals batch() over its dataset stream', async () => {
    const ids = idList(LISTED_PERMUTATION_MAX + 10);
    const column = arrowIds(ids, 20_000);
    const bd = batchedDataset({ ids: column, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    const shard = { rank: 0, worldSize: 4 };
    const want = await collect(batch({ size: 512 })(bd.dataset.stream({ epoch: 1, seed: 2, shard, window: 1024 })));
    const got = await collect(bd.batches({ size: 512, epoch: 1, seed: 2, shard, window: 2 }));
    expect(got.length).toBe(Math.ceil(Math.ceil(ids.length / 4) / 512));
    expect(got).toEqual(want);
  });

  it('get looks an id up in the column; unknown ids, explicit orders and duplicates are explained', async () => {
    const ids = idList(40);
    const column = arrowIds(ids, 16);
    const ds = dataset({ ids: column, dynamicPipeline: dynamicOps });
    const stream = await collect(ds.stream({ epoch: 2, seed: 4 }));
    const s = stream[7] as Sample;
    expect(await ds.get(sampleIdOf(s), { epoch: 2, seed: 4 })).toEqual(s);
    await expect(ds.get('nope')).rejects.toThrow(FuseflowError);
    await expect(ds.get('nope')).rejects.toThrow(/unknown sample id 'nope' \(the dataset has 40 ids in .*ids-40-16\.arrow, column 'id'\)/);
    expect(() => ds.stream({ order: ['s000001'] })).toThrow(OptionsError);
    expect(() => ds.stream({ order: ['s000001'] })).toThrow(/explicit order needs the ids as a string\[\]/);
    expect(() => ds.stream({ resume: { epoch: 0, seed: 0, position: 41 } })).toThrow(OptionsError);
  });

  it('runs the dynamic pipeline on the worker runner with ids from the file, as in-thread', async () => {
    const ids = idList(LISTED_PERMUTATION_MAX + 500);
    const column = arrowIds(ids, 30_000);
    const dyn = pipeline([randNoise({ key: 'img', std: 0.5 }), scale({ key: 'img', factor: 2 })], { name: 'dynamic', opIndexBase: 1 });
    const runner = createWorkerRunner({ pipeline: pipelineSpec(dyn), threads: 2, samplesPerTask: 8 });
    try {
      const statics = [makeVolume({ key: 'img', size: 2 })];
      const shard = { rank: 3, worldSize: 64 }; // ~1,000 ids: the worker path, not the whole epoch
      const inThread = await collect(dataset({ ids: column, staticPipeline: statics, dynamicPipeline: dyn }).stream({ epoch: 1, seed: 6, shard }));
      const viaWorkers = await collect(dataset({ ids: column, staticPipeline: statics, dynamicPipeline: dyn, runner }).stream({ epoch: 1, seed: 6, shard, window: 32 }));
      expect(inThread.length).toBe(Math.ceil((ids.length - 3) / 64));
      expect(viaWorkers).toEqual(inThread);
    } finally {
      await runner.close();
    }
  });

  it('also takes an Arrow vector in memory as the id column', async () => {
    const ids = idList(30);
    const ds = dataset({ ids: idsFromArrowVector(vectorFromArray(ids, new Utf8())), dynamicPipeline: dynamicOps });
    const want = await collect(dataset({ ids, dynamicPipeline: dynamicOps }).stream({ epoch: 0, seed: 1 }));
    expect(await collect(ds.stream({ epoch: 0, seed: 1 }))).toEqual(want);
  });
});

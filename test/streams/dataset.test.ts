import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FuseflowError, OpError, OptionsError } from '../../src/core/errors.js';
import { createSample, getKey, sampleIdOf, setKey, type Sample } from '../../src/core/sample.js';
import { pipeline, runPipeline, type Pipeline, type RunKey } from '../../src/ops/pipeline.js';
import type { DynamicRunner, StaticStore } from '../../src/workers/contracts.js';
import { dataset } from '../../src/streams/dataset.js';
import { openSampleCache } from '../../src/cache/open-cache.js';
import { addTo, failOn, ids, probe, randValue, resetProbe, sleep, slowAdd, split } from './helpers.js';

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

/** A StaticStore in memory (test double for src/cache), counting computations. */
class MemoryStore implements StaticStore {
  readonly values = new Map<string, readonly Sample[]>();
  computed = 0;
  async getOrCompute(initialId: string, compute: () => Promise<readonly Sample[]>): Promise<readonly Sample[]> {
    const hit = this.values.get(initialId);
    if (hit !== undefined) return hit;
    this.computed++;
    const out = await compute();
    this.values.set(initialId, out);
    return out;
  }
}

/** A DynamicRunner that runs the pipeline asynchronously in this thread (test double for the pool). */
class LocalRunner implements DynamicRunner {
  calls = 0;
  constructor(private readonly p: Pipeline) {}
  async run(samples: readonly Sample[], run: RunKey): Promise<Sample[][]> {
    this.calls++;
    await sleep(0);
    return Promise.all(samples.map(async (s) => runPipeline(this.p, s, run)));
  }
  async close(): Promise<void> {}
}

describe('dataset', () => {
  const staticOps = [addTo({ key: 'data.x', by: 10 })];
  const dynamicOps = [randValue({ key: 'data.r' }), addTo({ key: 'data.x', by: 1 })];

  it('streams an empty id list', async () => {
    const ds = dataset({ ids: [] });
    expect(await collect(ds.stream({ epoch: 0, seed: 1 }))).toEqual([]);
  });

  it('streams one and many ids through static then dynamic ops', async () => {
    const ds = dataset({ ids: ids(40), staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    const one = await collect(dataset({ ids: ['only'], staticPipeline: staticOps }).stream());
    expect(sid(one)).toEqual(['only']);
    const out = await collect(ds.stream({ epoch: 0, seed: 3 }));
    expect([...sid(out)].sort()).toEqual([...ids(40)].sort());
    expect(out.every((s) => getKey(s, 'data.x') === 11)).toBe(true);
    expect(ds.dynamicPipeline.opIndexBase).toBe(1);
  });

  it('orders each epoch by a seeded permutation', async () => {
    const ds = dataset({ ids: ids(30) });
    const e0 = sid(await collect(ds.stream({ epoch: 0, seed: 7 })));
    const e0again = sid(await collect(ds.stream({ epoch: 0, seed: 7 })));
    const e1 = sid(await collect(ds.stream({ epoch: 1, seed: 7 })));
    const plain = sid(await collect(ds.stream({ epoch: 0, seed: 7, shuffle: false })));
    expect(e0again).toEqual(e0);
    expect(e1).not.toEqual(e0);
    expect([...e1].sort()).toEqual([...e0].sort());
    expect(plain).toEqual(ids(30));
  });

  it('same seed → same samples; random draws keyed by sample, not by order or concurrency', async () => {
    const ds = dataset({ ids: ids(25), dynamicPipeline: [slowAdd({ key: 'data.y', ms: 1, jitter: true }), randValue({ key: 'data.r' })] });
    const a = await collect(ds.stream({ epoch: 2, seed: 11, concurrency: 1 }));
    const b = await collect(ds.stream({ epoch: 2, seed: 11, concurrency: 5, window: 9 }));
    const c = await collect(ds.stream({ epoch: 2, seed: 11, shuffle: false }));
    expect(b).toEqual(a);
    const byId = (xs: Sample[]): Map<string, unknown> => new Map(xs.map((s) => [sampleIdOf(s), getKey(s, 'data.r')]));
    expect(byId(c)).toEqual(byId(a));
    const other = await collect(ds.stream({ epoch: 3, seed: 11 }));
    expect(byId(other)).not.toEqual(byId(a));
    // get() gives the stream's sample for the same run key.
    const first = a[0] as Sample;
    expect(await ds.get(sampleIdOf(first), { seed: 11, epoch: 2 })).toEqual(first);
  });

  it('shards: every id exactly once across ranks, for worldSize 1..8', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer(), fc.nat(5), async (n, worldSize, seed, epoch) => {
        const ds = dataset({ ids: ids(n) });
        const all: string[] = [];
        const sizes: number[] = [];
        for (let rank = 0; rank < worldSize; rank++) {
          const part = sid(await collect(ds.stream({ epoch, seed, shard: { rank, worldSize }, window: 4 })));
          sizes.push(part.length);
          all.push(...part);
        }
        expect([...all].sort()).toEqual([...ids(n)].sort());
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('resumes mid-epoch exactly: consume k, resume, the concatenation equals the uninterrupted run', async () => {
    const ds = dataset({ ids: ids(23), staticPipeline: [split({ n: 2 })], dynamicPipeline: dynamicOps });
    await fc.assert(
      fc.asyncProperty(fc.nat(50), fc.integer({ min: 1, max: 6 }), fc.nat(3), async (k, window, epoch) => {
        const shard = { rank: 1, worldSize: 2 };
        const full = await collect(ds.stream({ epoch, seed: 5, shard, window }));
        const first = ds.stream({ epoch, seed: 5, shard, window });
        const head = await collect(first, k);
        const state = first.state();
        // Resume restarts at the first id not fully received (an id split in two that was half
        // read is replayed whole), so drop what the head already holds past that point.
        const tail = await collect(ds.stream({ shard, window, resume: state }));
        const kept = head.slice(0, 2 * state.position);
        expect(head.length - kept.length).toBeLessThanOrEqual(1);
        expect([...kept, ...tail]).toEqual(full);
        expect(state).toEqual({ epoch, seed: 5, position: state.position });
      }),
      { numRuns: 40 },
    );
  });

  it('an explicit order with repeats gives each repeat its own draw, reproducibly', async () => {
    const ds = dataset({ ids: ['a', 'b'], dynamicPipeline: [randValue({ key: 'data.r' })] });
    const order = ['a', 'b', 'a', 'a'];
    const out = await collect(ds.stream({ order, seed: 4, epoch: 2 }));
    expect(sid(out)).toEqual(order);
    const r = out.map((s) => getKey<number>(s, 'data.r'));
    expect(new Set([r[0], r[2], r[3]]).size).toBe(3);
    expect(out[0]).toEqual(await ds.get('a', { seed: 4, epoch: 2 }));
    expect(await collect(ds.stream({ order, seed: 4, epoch: 2 }))).toEqual(out);
    const resumed = await collect(ds.stream({ order, resume: { seed: 4, epoch: 2, position: 2 } }));
    expect(resumed).toEqual(out.slice(2));
  });

  it('an op failure names op, op id and sample id', async () => {
    const ds = dataset({ ids: ids(10), dynamicPipeline: [addTo({ key: 'data.x', by: 1 }), failOn({ ids: ['s4'] })] });
    const err = await collect(ds.stream({ shuffle: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).opId).toBe('dynamic.1.test.streams.failOn');
    expect((err as OpError).sampleId).toBe('s4');
    const notFound = await ds.get('nope').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(FuseflowError);
    expect((notFound as Error).message).toContain("'nope'");
  });

  it('a failing source is an error naming the sample id', async () => {
    const ds = dataset({
      ids: ['a', 'b'],
      source: (id) => {
        if (id === 'b') throw new Error('row not found');
        return createSample(id);
      },
    });
    const err = await collect(ds.stream({ shuffle: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).sampleId).toBe('b');
    expect((err as Error).message).toContain('row not found');
  });

  it('break stops the stream and no op runs after it', async () => {
    resetProbe();
    let built = 0;
    const ds = dataset({
      ids: ids(500),
      source: (id) => {
        built++;
        return createSample(id);
      },
      dynamicPipeline: [slowAdd({ key: 'data.a', ms: 2 }), slowAdd({ key: 'data.b', ms: 2 })],
    });
    const stream = ds.stream({ window: 8, concurrency: 4 });
    await collect(stream, 5);
    const calls = probe.calls;
    const builtAtBreak = built;
    await sleep(40);
    expect(probe.calls).toBe(calls);
    expect(built).toBe(builtAtBreak);
    expect(builtAtBreak).toBeLessThanOrEqual(5 + 8);
  });

  it('keeps in-flight ≤ window with a slow consumer, async static store and runner', async () => {
    let built = 0;
    const store = new MemoryStore();
    const ds = dataset({
      ids: ids(40),
      source: async (id) => {
        built++;
        await sleep(0);
        return createSample(id);
      },
      staticPipeline: staticOps,
      dynamicPipeline: dynamicOps,
      store,
      runner: new LocalRunner(pipeline(dynamicOps, { name: 'dynamic', opIndexBase: 1 })),
    });
    const window = 6;
    const stream = ds.stream({ epoch: 1, seed: 2, window, concurrency: 4 });
    let received = 0;
    let peak = 0;
    for await (const _ of stream) {
      received++;
      peak = Math.max(peak, built - received + 1);
      await sleep(2);
    }
    expect(received).toBe(40);
    expect(peak).toBeLessThanOrEqual(window);
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(window);
    expect(store.computed).toBe(40);
    // Second epoch: static outputs come from the store; the runner equals the in-thread run.
    const viaRunner = await collect(ds.stream({ epoch: 1, seed: 2 }));
    expect(store.computed).toBe(40);
    const inThread = await collect(dataset({ ids: ids(40), staticPipeline: staticOps, dynamicPipeline: dynamicOps }).stream({ epoch: 1, seed: 2 }));
    expect(viaRunner).toEqual(inThread);
  });

  describe('with the LMDB sample cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuseflow-ds-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads static outputs from the cache and gives the in-thread result', async () => {
      const sp = pipeline(staticOps, { name: 'static' });
      const cache = openSampleCache({ dir, pipeline: sp, audit: false });
      const withCache = dataset({ ids: ids(12), staticPipeline: sp, dynamicPipeline: dynamicOps, store: cache });
      const plain = dataset({ ids: ids(12), staticPipeline: sp, dynamicPipeline: dynamicOps });
      const a = await collect(withCache.stream({ epoch: 0, seed: 4 }));
      const b = await collect(withCache.stream({ epoch: 0, seed: 4 }));
      const c = await collect(plain.stream({ epoch: 0, seed: 4 }));
      expect(sid(a)).toEqual(sid(c));
      expect(a.map((s) => getKey(s, 'data.x'))).toEqual(c.map((s) => getKey(s, 'data.x')));
      expect(a.map((s) => getKey(s, 'data.r'))).toEqual(c.map((s) => getKey(s, 'data.r')));
      expect(b.map((s) => getKey(s, 'data.r'))).toEqual(c.map((s) => getKey(s, 'data.r')));
      (cache as unknown as { close?: () => void }).close?.();
    });
  });

  it('has an Observable form that stops pulling when unsubscribed', async () => {
    let built = 0;
    const ds = dataset({
      ids: ids(200),
      source: (id) => {
        built++;
        return createSample(id);
      },
      dynamicPipeline: dynamicOps,
    });
    const viaRx = await lastValueFrom(ds.observe({ seed: 1, window: 3 }).pipe(take(4), toArray()));
    await sleep(10);
    expect(built).toBeLessThanOrEqual(4 + 3);
    const viaIt = await collect(ds.stream({ seed: 1, window: 3 }), 4);
    expect(viaRx).toEqual(viaIt);
  });

  it('validates options when built', () => {
    expect(() => dataset({ ids: ['a', 'a'] })).toThrow(OptionsError);
    expect(() => dataset({ ids: ['a'], staticPipeline: [randValue({ key: 'r' })] })).toThrow(/random/);
    const ds = dataset({ ids: ids(3) });
    expect(() => ds.stream({ window: 0 })).toThrow(OptionsError);
    expect(() => ds.stream({ shard: { rank: 2, worldSize: 2 } })).toThrow(OptionsError);
    expect(() => ds.stream({ resume: { epoch: 0, seed: 0, position: 9 } })).toThrow(OptionsError);
    expect(() => ds.stream({ epoch: 1, resume: { epoch: 0, seed: 0, position: 0 } })).toThrow(OptionsError);
    expect(() => ds.stream({ order: ['zz'] })).toThrow(/zz/);
  });

  it('does not mutate what the source returns', async () => {
    const base = setKey(createSample('a'), 'data.x', 1);
    const copy = structuredClone(base);
    const ds = dataset({ ids: ['a'], source: () => base, staticPipeline: staticOps, dynamicPipeline: dynamicOps });
    await collect(ds.stream());
    expect(base).toEqual(copy);
  });
});

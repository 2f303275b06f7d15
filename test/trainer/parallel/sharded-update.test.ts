import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSample, getKey, setKeys, type Sample } from '../../../src/core/sample.js';
import { tensor } from '../../../src/core/tensor.js';
import { useBackend } from '../../../src/trainer/backend.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { createOptimizer, type OptimizerConfig } from '../../../src/trainer/optim/optimizer.js';
import { createReplicaPool, type ReplicaPool } from '../../../src/trainer/parallel/replica-pool.js';
import type { WeightLayout } from '../../../src/trainer/parallel/replica-protocol.js';
import { shardBounds, sumShard, sumUpdateShard, updateShard } from '../../../src/trainer/parallel/sharded-update.js';
import { adamSimd } from '../../../src/trainer/parallel/adam-simd.js';
import { poolMemory, poolViews } from '../../../src/trainer/parallel/pool-memory.js';
import { Rng } from '../../../src/core/rng.js';
import { table, tabularModel } from '../helpers/tabular.js';

beforeAll(async () => {
  await useBackend('wasm', { log: null });
});

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('sharded update (one replica part at a time, no threads)', () => {
  // three variables; in the weight buffer they sit in another order than in the gradient region
  const shapes = [[3, 4], [5], [7]];
  const sizes = shapes.map((s) => s.reduce((a, d) => a * d, 1));
  const gradOffsets = [0, 12, 17];
  const weightOffsets = [12, 7, 0]; // var 2 first, then var 1, then var 0
  const layout: WeightLayout = {
    weights: [
      { offset: 0, size: 7, trainable: true },
      { offset: 7, size: 5, trainable: true },
      { offset: 12, size: 12, trainable: true },
    ],
    weightFloats: 24,
    grads: sizes.map((size, i) => ({ offset: gradOffsets[i] as number, size, weightOffset: weightOffsets[i] as number })),
    regionFloats: 24,
    gradFloats: 24,
  };
  const configs: [string, OptimizerConfig, number[] | null][] = [
    ['Adam', { type: 'adam' }, null],
    ['AdamW with parameter-group rates', { type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 }, [1, 0.1, 0]],
    ['SGD', { type: 'sgd' }, null],
    ['SGD with Nesterov momentum and weight decay', { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, [0.5, 1, 2]],
  ];
  for (const [name, config, scales] of configs) {
    it(`${name}: 3 parts over 2 replicas' gradients equal the tfjs optimizer bit for bit over 6 steps`, () => {
      const rng = Rng.fromParts(['sharded-update', name]);
      const init = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
      const variables = init.map((d, i) => tf.variable(tf.tensor(d, shapes[i] as number[])));
      const reference = createOptimizer(config, variables, scales === null ? {} : { lrScales: scales });
      const other = createOptimizer(config, variables, scales === null ? {} : { lrScales: scales });
      const shared = other.share();
      const weights = new Float32Array(24);
      init.forEach((d, i) => weights.set(d, weightOffsets[i]));
      const regions = [new Float32Array(24), new Float32Array(24)];
      const mem = { layout, regions, weights, slots: new Float32Array(shared.slots), config, lrScales: shared.lrScales };
      for (let step = 1; step <= 6; step++) {
        regions.forEach((r) => r.forEach((_, j) => (r[j] = rng.normal() * 0.1)));
        // the reference: slice 0 + slice 1 in float32, then the tfjs update
        const summed = sizes.map((n, i) => Float32Array.from({ length: n }, (_, j) => regions[0]![gradOffsets[i]! + j]! + regions[1]![gradOffsets[i]! + j]!));
        const grads = summed.map((d, i) => tf.tensor(d, shapes[i] as number[]));
        reference.apply(grads, 0.05);
        tf.dispose(grads);
        for (let k = 0; k < 3; k++) {
          const { start, end } = shardBounds(24, 3, k);
          sumShard(mem, start, end, [0.5, 0.5]);
          updateShard(mem, start, end, 0.05, step, null);
        }
        shared.advance();
      }
      variables.forEach((v, i) => expect(bits(weights.subarray(weightOffsets[i], weightOffsets[i]! + sizes[i]!))).toEqual(bits(v.dataSync() as Float32Array)));
      expect(other.step).toBe(6);
      tf.dispose(variables);
      reference.dispose();
    });
  }

  it('the fused sum + update (unclipped steps) equals sumShard then updateShard bit for bit: 2 and 3 regions, Adam, AdamW with rates, SGD with momentum, state part', () => {
    // variable 1 has a state weight after it; the region holds the gradients, then the state (4)
    const fusedLayout: WeightLayout = { ...layout, weights: [...layout.weights, { offset: 24, size: 4, trainable: false }], weightFloats: 28, regionFloats: 28 };
    const cases: [OptimizerConfig, number[] | null][] = [
      [{ type: 'adam' }, null],
      [{ type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 }, [1, 0.1, 0]],
      [{ type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, [0.5, 1, 2]],
    ];
    for (const [config, lrScales] of cases) {
      for (const n of [2, 3]) {
        const rng = Rng.fromParts(['sharded-update', 'fused', config.type, String(n)]);
        const weights = Float32Array.from({ length: 28 }, () => rng.normal());
        const slots = new Float32Array(2 * 24);
        const two = { layout: fusedLayout, regions: [] as Float32Array[], weights: weights.slice(), slots: slots.slice(), config, lrScales };
        const one = { ...two, weights: weights.slice(), slots: slots.slice() };
        const shares = n === 2 ? [0.25, 0.75] : [0.25, 0.5, 0.25];
        for (let step = 1; step <= 4; step++) {
          const regions = Array.from({ length: n }, () => Float32Array.from({ length: 28 }, () => rng.normal() * 0.1));
          // a -0 gradient in every region: the sum from 0 is +0, as sumShard's
          regions.forEach((r) => (r[3] = -0));
          two.regions = regions.map((r) => r.slice());
          one.regions = regions.map((r) => r.slice());
          for (let k = 0; k < n; k++) {
            const { start, end } = shardBounds(28, n, k);
            sumShard(two, start, end, shares);
            updateShard(two, start, end, 0.05, step, null);
            sumUpdateShard(one, start, end, shares, 0.05, step);
          }
          expect(bits(one.weights)).toEqual(bits(two.weights));
          expect(bits(one.slots)).toEqual(bits(two.slots));
        }
      }
    }
  });

  it('the SIMD Adam (2 regions in the pool memory) equals the scalar loops bit for bit: Adam and AdamW with rates, parts not a multiple of 4, -0 and tiny gradients, state part', () => {
    // variables of 12, 5 and 7 elements, then 4 state floats: parts of 28 over 3 participants start at 0, 9 and 18
    const fusedLayout: WeightLayout = { ...layout, weights: [...layout.weights, { offset: 24, size: 4, trainable: false }], weightFloats: 28, regionFloats: 28 };
    const cases: [OptimizerConfig, number[] | null][] = [
      [{ type: 'adam' }, null],
      [{ type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 }, [1, 0.1, 0]],
    ];
    for (const [config, lrScales] of cases) {
      const rng = Rng.fromParts(['sharded-update', 'simd', String(config.weightDecay ?? 0)]);
      const place = poolMemory(fusedLayout, 2, 2 * 24 * 4);
      const { weights, regions } = poolViews(place, fusedLayout, 2);
      const slots = new Float32Array(place.memory.buffer, place.slotsAt, 2 * 24);
      weights.set(Float32Array.from({ length: 28 }, () => rng.normal()));
      const simd = adamSimd(place.memory);
      expect(simd).not.toBeNull();
      // a plain SharedArrayBuffer (the pool's fallback past 4 GiB) gets the scalar loops
      expect(adamSimd({ buffer: new SharedArrayBuffer(64) })).toBeNull();
      const withSimd = { layout: fusedLayout, regions, weights, slots, config, lrScales, simd };
      const scalar = { ...withSimd, weights: weights.slice(), slots: slots.slice(), simd: null };
      for (let step = 1; step <= 5; step++) {
        regions.forEach((r) => r.forEach((_, j) => (r[j] = rng.normal() * (j % 5 === 0 ? 1e-30 : 0.1))));
        regions.forEach((r) => (r[3] = -0));
        for (const parts of [3, 1]) {
          for (let k = 0; k < parts; k++) {
            const { start, end } = shardBounds(28, parts, k);
            sumUpdateShard(withSimd, start, end, [0.25, 0.75], 0.05, step);
            sumUpdateShard(scalar, start, end, [0.25, 0.75], 0.05, step);
          }
        }
        expect(bits(weights)).toEqual(bits(scalar.weights));
        expect(bits(slots)).toEqual(bits(scalar.slots));
      }
    }
  });

  it('the shared optimizer saves and loads its slots as the tfjs one does, and refuses apply', async () => {
    const v = [tf.variable(tf.tensor([1, 2, 3])), tf.variable(tf.tensor([[4, 5]]))];
    const a = createOptimizer({ type: 'adam' }, v);
    a.apply([tf.tensor([0.1, -0.2, 0.3]), tf.tensor([[1, -1]])], 0.1);
    const saved = await a.state();
    const b = createOptimizer({ type: 'adam' }, v);
    const shared = b.share();
    b.load(saved);
    const again = await b.state();
    expect(again.step).toBe(1);
    expect(again.slots.map((s) => [s.name, s.shape, Array.from(s.data)])).toEqual(saved.slots.map((s) => [s.name, s.shape, Array.from(s.data)]));
    // m of variable 1 sits after m of variable 0 (3 elements); v follows all m
    expect(Array.from(new Float32Array(shared.slots).subarray(3, 5))).toEqual(Array.from(saved.slots[1]!.data));
    expect(() => b.apply([tf.zeros([3]), tf.zeros([1, 2])], 0.1)).toThrow(/shared with replicas/);
    tf.dispose(v);
    a.dispose();
  });
});

/** `n` rows of the breast-cancer table from row `from` as one batch; `nan` puts NaN into row 0's features. */
function tableBatch(from: number, n: number, nan = false): Sample {
  const data = new Float32Array(n * 30);
  const labels: number[] = [];
  for (let r = 0; r < n; r++) {
    const s = table.samples.get(table.ids[from + r] as string) as Sample;
    data.set(getKey<{ data: Float32Array }>(s, 'data.features').data, r * 30);
    labels.push(table.labels[from + r] as number);
  }
  if (nan) data[0] = Number.NaN;
  return setKeys(createSample('batch'), { 'data.features': tensor('float32', [n, 30], data), 'data.label': labels });
}

const ce = crossEntropy({ pred: 'model.logits.cls', target: 'data.label' });
const weightsOf = (model: ReturnType<typeof tabularModel>): number[][] => model.net.weights.map((w) => bits(Float32Array.from(w.read().dataSync() as Float32Array)));

describe('replica pool with the sharded update (2 and 3 worker threads)', () => {
  const pools: ReplicaPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('equals gradients summed on the main thread + the tfjs update bit for bit (batch norm statistics included), 8 AdamW steps', async () => {
    const config: OptimizerConfig = { type: 'adam', weightDecay: 0.01 };
    const a = tabularModel(3, true);
    const b = tabularModel(3, true);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    const optA = createOptimizer(config, a.trainableVariables());
    const optB = createOptimizer(config, b.trainableVariables());
    const mainPool = await createReplicaPool({ model: a, losses: [ce], threads: 2 });
    const shardPool = await createReplicaPool({ model: b, losses: [ce], threads: 2, optimizer: optB });
    pools.push(mainPool, shardPool);
    expect([mainPool.sharded, shardPool.sharded]).toEqual([false, true]);
    for (let s = 0; s < 8; s++) {
      const batch = tableBatch(s * 33, 33); // 16 + 17 rows
      const features = Array.from(getKey<{ data: Float32Array }>(batch, 'data.features').data);
      const r = await mainPool.gradients(batch, 33, s);
      optA.apply(r.grads, 0.01);
      tf.dispose(r.grads);
      const u = await shardPool.step(batch, 33, s, 0.01);
      expect(u.applied).toBe(true);
      expect(u.total).toBe(r.total);
      expect(u.phases).toHaveLength(2);
      // the slices' copies moved to the replicas; the caller's batch is neither detached nor changed
      expect(Array.from(getKey<{ data: Float32Array }>(batch, 'data.features').data)).toEqual(features);
    }
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(optB.step).toBe(8);
    const [sa, sb] = [await optA.state(), await optB.state()];
    expect(sb.slots.map((x) => bits(x.data))).toEqual(sa.slots.map((x) => bits(x.data)));
    a.net.dispose();
    b.net.dispose();
    optA.dispose();
  }, 60_000);

  it('replicas load the weights the main thread wrote: sharded steps, a gradients() call, the model changed on the main thread, sharded steps again — bit for bit as the main-thread update', async () => {
    const a = tabularModel(3, true);
    const b = tabularModel(3, true);
    const optA = createOptimizer({ type: 'adam' }, a.trainableVariables());
    const optB = createOptimizer({ type: 'adam' }, b.trainableVariables());
    const mainPool = await createReplicaPool({ model: a, losses: [ce], threads: 2 });
    const shardPool = await createReplicaPool({ model: b, losses: [ce], threads: 2, optimizer: optB });
    pools.push(mainPool, shardPool);
    const halve = (m: ReturnType<typeof tabularModel>): void => m.trainableVariables().forEach((v) => v.assign(tf.tidy(() => tf.mul(v, 0.5))));
    const stepA = async (s: number): Promise<void> => {
      const r = await mainPool.gradients(tableBatch(s * 20, 20), 20, s);
      optA.apply(r.grads, 0.01);
      tf.dispose(r.grads);
    };
    for (let s = 0; s < 2; s++) {
      await stepA(s);
      expect((await shardPool.step(tableBatch(s * 20, 20), 20, s, 0.01)).applied).toBe(true);
    }
    // (gradients() also copies the replicas' batch-norm statistics into the model: both models alike)
    tf.dispose((await mainPool.gradients(tableBatch(100, 20), 20, 2)).grads);
    tf.dispose((await shardPool.gradients(tableBatch(100, 20), 20, 2)).grads);
    halve(a);
    halve(b);
    for (let s = 2; s < 4; s++) {
      await stepA(s);
      expect((await shardPool.step(tableBatch(s * 20, 20), 20, s, 0.01)).applied).toBe(true);
    }
    expect(weightsOf(b)).toEqual(weightsOf(a));
    a.net.dispose();
    b.net.dispose();
    optA.dispose();
  }, 60_000);

  it('a NaN loss or a failing slice leaves every weight of a batch-norm model as it was, moving statistics included (this thread computes slice 0, whose forward moves them)', async () => {
    const b = tabularModel(3, true);
    const optB = createOptimizer({ type: 'adam' }, b.trainableVariables());
    const pool = await createReplicaPool({ model: b, losses: [ce], threads: 2, optimizer: optB });
    pools.push(pool);
    expect((await pool.step(tableBatch(0, 8), 8, 0, 0.01)).applied).toBe(true);
    const before = weightsOf(b);
    const nan = await pool.step(tableBatch(8, 8, true), 8, 1, 0.01); // NaN in row 0: slice 0
    expect([nan.applied, Number.isNaN(nan.total)]).toEqual([false, true]);
    expect(weightsOf(b)).toEqual(before);
    const noTarget = setKeys(createSample('batch'), { 'data.features': getKey(tableBatch(16, 4), 'data.features') });
    await expect(pool.step(noTarget, 4, 1, 0.01)).rejects.toThrow(/data\.label/);
    expect(weightsOf(b)).toEqual(before);
    expect(optB.step).toBe(1);
    // and gradients() (no optimizer in the pool) on the failing batch
    const plain = await createReplicaPool({ model: b, losses: [ce], threads: 2 });
    pools.push(plain);
    await expect(plain.gradients(noTarget, 4, 1)).rejects.toThrow(/data\.label/);
    expect(weightsOf(b)).toEqual(before);
    b.net.dispose();
  }, 60_000);

  it('a slice that cannot be handed to a replica (a value structured clone refuses) fails the step with that error instead of leaving this thread waiting at the barrier', async () => {
    const b = tabularModel(3);
    const optB = createOptimizer({ type: 'adam' }, b.trainableVariables());
    const pool = await createReplicaPool({ model: b, losses: [ce], threads: 2, optimizer: optB });
    pools.push(pool);
    const bad = setKeys(tableBatch(0, 4), { 'data.hook': () => 0 });
    await expect(pool.step(bad, 4, 0, 0.01)).rejects.toThrow(/could not be cloned/);
    // the participants' barrier counts no longer agree: later steps fail with the same error
    await expect(pool.step(tableBatch(0, 4), 4, 0, 0.01)).rejects.toThrow(/sharded step failed: .*could not be cloned/);
    b.net.dispose();
  }, 20_000);

  it("refuses a replica backend other than this thread's, which computes slice 0", async () => {
    const m = tabularModel(3);
    await expect(createReplicaPool({ model: m, losses: [ce], threads: 2, backend: 'cpu' })).rejects.toThrow(/backend 'cpu' differs from this thread's 'wasm'/);
    m.net.dispose();
  });

  it('3 threads, a batch of 2 rows (one replica idle), clipping, a failing slice and a NaN loss', async () => {
    const a = tabularModel(4);
    const b = tabularModel(4);
    const optA = createOptimizer({ type: 'sgd', momentum: 0.9 }, a.trainableVariables());
    const optB = createOptimizer({ type: 'sgd', momentum: 0.9 }, b.trainableVariables());
    const pool = await createReplicaPool({ model: b, losses: [ce], threads: 3, optimizer: optB, clipNorm: 0.05 });
    pools.push(pool);
    const reference = (batch: Sample): void => {
      // one thread's gradients, clipped by the tfjs helper, one tfjs update
      const { grads } = tf.variableGrads(() => {
        const out = a.forward(batch, { step: 0, phase: 'train', training: true });
        return ce.compute(batch, out, { step: 0, phase: 'train' });
      }, a.trainableVariables());
      const list = a.trainableVariables().map((v) => grads[v.name] as tf.Tensor);
      const norm = Math.sqrt(list.reduce((acc, g) => acc + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
      const clipped = norm > 0.05 ? list.map((g) => tf.mul(g, 0.05 / (norm + 1e-6))) : list.map((g) => g.clone());
      optA.apply(clipped, 0.1);
      tf.dispose([...list, ...clipped]);
    };
    for (const [from, rows] of [
      [0, 2],
      [10, 30],
      [50, 2],
    ] as const) {
      reference(tableBatch(from, rows));
      const u = await pool.step(tableBatch(from, rows), rows, 0, 0.1);
      expect(u.applied).toBe(true);
    }
    const wa = a.net.weights.map((w) => Array.from(w.read().dataSync()));
    const wb = b.net.weights.map((w) => Array.from(w.read().dataSync()));
    wa.forEach((x, i) => x.forEach((y, j) => expect(Math.abs(y - (wb[i]![j] as number))).toBeLessThan(1e-6 * Math.max(1, Math.abs(y)))));
    expect(optB.step).toBe(3);

    const before = weightsOf(b);
    const bad = setKeys(createSample('batch'), { 'data.label': [0, 1, 0] }); // no features
    await expect(pool.step(bad, 3, 3, 0.1)).rejects.toThrow(/data\.features/);
    const nan = await pool.step(tableBatch(0, 6, true), 6, 3, 0.1);
    expect([nan.applied, Number.isNaN(nan.total)]).toEqual([false, true]);
    expect(weightsOf(b)).toEqual(before);
    expect(optB.step).toBe(3);
    // the barriers stay in step after both: a good batch still updates
    expect((await pool.step(tableBatch(0, 6), 6, 4, 0.1)).applied).toBe(true);
    expect(weightsOf(b)).not.toEqual(before);
    a.net.dispose();
    b.net.dispose();
    optA.dispose();
  }, 60_000);
});

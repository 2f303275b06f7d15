/**
 * A replica on a worker thread: its own tfjs backend (with fuseflow's kernels) and a copy of the
 * model rebuilt from its topology JSON. Per step it reads the weights from shared memory, computes
 * the gradients of its slice's loss scaled by `rows of slice / rows of batch`, and writes them
 * (then its batch-norm statistics) into its own region of the shared gradient buffer; the main
 * thread sums the regions and applies the update. With the sharded update (`init.update`) the
 * replicas instead meet at an `Atomics.wait` barrier once every region is written, and each sums
 * and updates its own part of the weights in shared memory (`sharded-update.ts`; without clipping
 * the sum and the update are one pass), so the update runs on every replica at once and the main
 * thread only reads the new weights back. A last barrier marks every part updated; the replica
 * then replies and loads the next step's weights while the main thread reads them back, so that
 * load is off the step's critical path (the main thread flags a step whose weights it wrote).
 * Deterministic: one thread per replica, no randomness besides the model's own seeded layers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuMs } from './thread-cpu.js';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '../models/batch-norm.js';
import '../models/seeded-dropout.js';
import { useBackend } from '../backend.js';
import { totalLoss } from '../losses/loss.js';
import { dictModel } from '../models/dict-model.js';
import { lossFromSpec } from './loss-from-spec.js';
import { CONTROL, type ReplicaIdle, type ReplicaInit, type ReplicaReply, type ReplicaStep } from './replica-protocol.js';
import { clipScaleOf, shardBounds, sumShard, sumUpdateShard, updateShard, type ShardMemory } from './sharded-update.js';

const port = parentPort;
if (port === null) throw new Error('replica-worker runs on a worker thread only');
const init = workerData as ReplicaInit;
const reply = (r: ReplicaReply): void => port.postMessage(r);

try {
  await useBackend(init.backend, { log: null });
  const net = await tf.models.modelFromJSON({ modelTopology: init.topology as tf.io.ModelJSON['modelTopology'] });
  const model = dictModel(net, init.binding);
  const losses = init.losses.map(lossFromSpec);
  const variables = model.trainableVariables();
  const { layout } = init;
  const weights = new Float32Array(init.weights);
  const region = new Float32Array(init.grads, init.index * layout.regionFloats * 4, layout.regionFloats);
  // On wasm a float32 tensor's bytes are read in place on the heap (dataSync would copy them into
  // a new array each step: garbage for this thread's collector); other backends read a copy.
  const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as BackendWasm) : null;
  const valuesOf = (t: tf.Tensor): Float32Array => (wasm !== null && t.dtype === 'float32' ? (wasm.typedArrayFromHeap(t) as Float32Array) : (t.dataSync() as Float32Array));

  const loadWeights = (): void => {
    const values = net.weights.map((w, i) => {
      const at = layout.weights[i];
      if (at === undefined) throw new Error(`weight ${i} is missing from the layout`);
      return tf.tensor(weights.subarray(at.offset, at.offset + at.size), w.shape as number[]);
    });
    net.setWeights(values);
    tf.dispose(values);
  };

  /** Forward, losses and backward of a slice; its gradients (then state weights) into the region. */
  const compute = (msg: ReplicaStep): { total: number; terms: number[] } => {
    const ctx = { step: msg.step, phase: 'train' };
    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const outputs = model.forward(msg.batch, { ...ctx, training: true });
      const { total, terms } = totalLoss(losses, msg.batch, outputs, ctx);
      kept = [tf.keep(total.clone()), tf.keep(tf.stack(Object.values(terms)))];
      return tf.mul(total, msg.scale);
    }, variables);
    try {
      variables.forEach((v, i) => {
        const g = grads[v.name];
        const at = layout.grads[i];
        if (g === undefined || at === undefined) throw new Error(`no gradient for variable '${v.name}'`);
        region.set(valuesOf(g), at.offset);
      });
      let at = layout.gradFloats;
      for (const [i, w] of net.weights.entries()) {
        if (layout.weights[i]?.trainable !== false) continue;
        const data = valuesOf(w.read());
        region.set(data, at);
        at += data.length;
      }
      const [total, terms] = kept;
      return { total: (total?.dataSync() as Float32Array)[0] ?? Number.NaN, terms: Array.from(terms?.dataSync() ?? []) };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...kept]);
    }
  };

  /** A step whose update the main thread makes. */
  const step = (msg: ReplicaStep): ReplicaReply => {
    const c0 = threadCpuMs();
    const t0 = performance.now();
    loadWeights();
    const t1 = performance.now();
    const values = compute(msg);
    const t2 = performance.now();
    return { kind: 'done', ...values, ms: t2 - t0, phases: { load: t1 - t0, compute: t2 - t1, wait: 0, update: 0, cpu: threadCpuMs() - c0 }, applied: false };
  };

  const update = init.update;
  const control = update === undefined ? null : new Int32Array(update.control);
  const scratch = update === undefined ? null : new Float64Array(update.scratch);
  const mem: ShardMemory | null =
    update === undefined
      ? null
      : {
          layout,
          regions: Array.from({ length: update.threads }, (_, k) => new Float32Array(init.grads, k * layout.regionFloats * 4, layout.regionFloats)),
          weights,
          slots: new Float32Array(update.slots),
          config: update.config,
          lrScales: update.lrScales,
        };
  // Sharded steps: the weights of the next step are loaded right after this one's update (once
  // every replica has updated its part), after the reply, while the main thread reads them back;
  // the next step then starts computing at once. `preloadCpu`: that load's CPU ms, counted in the
  // next step's.
  let preloaded = false;
  let preloadCpu = 0;
  const preload = (): void => {
    const c0 = threadCpuMs();
    preloaded = false;
    loadWeights();
    preloaded = true;
    preloadCpu = threadCpuMs() - c0;
  };
  // The arrivals this replica's next barrier completes at (int32, wrapping: compared by difference).
  let target = 0;
  /** Waits until every replica has arrived here (each replica passes the same barriers in turn). */
  const barrier = (ctl: Int32Array, threads: number): void => {
    target = (target + threads) | 0;
    if (((Atomics.add(ctl, CONTROL.arrive, 1) + 1) | 0) === target) {
      Atomics.notify(ctl, CONTROL.arrive);
      return;
    }
    for (;;) {
      const seen = Atomics.load(ctl, CONTROL.arrive);
      if (((seen - target) | 0) >= 0) return;
      if (Atomics.load(ctl, CONTROL.abort) !== 0) throw new Error(`replica ${init.index}: another replica stopped during the step`);
      Atomics.wait(ctl, CONTROL.arrive, seen, 1000);
    }
  };

  /**
   * A step with the sharded update: the slice's gradients (none for an idle replica), a barrier,
   * then this replica's part of the sum and update unless a slice failed or the loss is not finite
   * (then no replica updates; every replica decides alike from the same shared values).
   */
  const shardedStep = (msg: ReplicaStep | ReplicaIdle, ctl: Int32Array, scr: Float64Array, m: ShardMemory): ReplicaReply => {
    const u = msg.update as NonNullable<ReplicaStep['update']>;
    const threads = (update as NonNullable<typeof update>).threads;
    const c0 = threadCpuMs();
    const t0 = performance.now();
    Atomics.load(ctl, CONTROL.done); // orders this thread's reads after the other replicas' last update
    let values = { total: 0, terms: [] as number[] };
    let failure: string | null = null;
    let t1 = t0;
    const priorCpu = preloadCpu;
    preloadCpu = 0;
    if (msg.batch !== null) {
      try {
        if (!preloaded || u.reload) loadWeights();
        preloaded = false; // this step's forward may change state weights (batch norm): reload after it
        t1 = performance.now();
        values = compute(msg);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
        Atomics.store(ctl, CONTROL.failed, 1);
      }
    }
    scr[init.index] = values.total;
    const t2 = performance.now();
    barrier(ctl, threads);
    const t3 = performance.now();
    let total = 0;
    u.shares.forEach((w, k) => (total += w * (scr[k] as number)));
    const applied = Atomics.load(ctl, CONTROL.failed) === 0 && Number.isFinite(total);
    let waited = t3 - t2;
    if (applied && update !== undefined && update.clipNorm === null) {
      const { start, end } = shardBounds(layout.regionFloats, threads, init.index);
      sumUpdateShard(m, start, end, u.shares, u.lr, u.optStep);
    } else if (applied) {
      const { start, end } = shardBounds(layout.regionFloats, threads, init.index);
      const sq = sumShard(m, start, end, u.shares);
      let clip: number | null = null;
      if (update !== undefined && update.clipNorm !== null) {
        scr[threads + init.index] = sq;
        const tw = performance.now();
        barrier(ctl, threads);
        waited += performance.now() - tw;
        let norm2 = 0;
        for (let k = 0; k < threads; k++) norm2 += scr[threads + k] as number;
        clip = clipScaleOf(Math.sqrt(norm2), update.clipNorm);
      }
      updateShard(m, start, Math.min(end, layout.gradFloats), u.lr, u.optStep, clip);
    }
    Atomics.add(ctl, CONTROL.done, 1);
    // every part updated (or none): the weights the next step reads are final
    const tw2 = performance.now();
    barrier(ctl, threads);
    waited += performance.now() - tw2;
    const t4 = performance.now();
    if (failure !== null) return { kind: 'error', message: failure };
    return {
      kind: 'done',
      ...values,
      ms: t4 - t0,
      phases: { load: t1 - t0, compute: t2 - t1, wait: waited, update: t4 - t3 - (waited - (t3 - t2)), cpu: threadCpuMs() - c0 + priorCpu },
      applied,
    };
  };

  port.on('message', (msg: ReplicaStep | ReplicaIdle) => {
    try {
      if (msg.update !== undefined && control !== null && scratch !== null && mem !== null) {
        reply(shardedStep(msg, control, scratch, mem));
        preload();
      } else {
        preloaded = false;
        reply(step(msg as ReplicaStep));
      }
    } catch (err) {
      reply({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
  reply({ kind: 'ready' });
} catch (err) {
  reply({ kind: 'error', message: `replica ${init.index} failed to start: ${err instanceof Error ? err.message : String(err)}` });
}

/**
 * A replica on a worker thread: its own tfjs backend (with fuseflow's kernels) and a copy of the
 * model rebuilt from its topology JSON. Per step it reads the weights from shared memory and
 * computes its slice's gradients into its region of the shared gradient buffer
 * (`slice-gradients.ts`, the code the main thread runs for slice 0). Without the sharded update
 * the main thread then sums the regions and applies the update. With it (`init.update`) the
 * replica goes on with its part of the sum and update in shared memory (`shard-step.ts`), meeting
 * the other participants at `Atomics.wait` barriers; after the last one it replies and loads the
 * next step's weights while the main thread reads them back, so that load is off the step's
 * critical path (the main thread flags a step whose weights it wrote: `reload`).
 * Deterministic: one thread per replica, no randomness besides the model's own seeded layers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '../models/batch-norm.js';
import '../models/seeded-dropout.js';
import { useBackend } from '../backend.js';
import { dictModel } from '../models/dict-model.js';
import { lossFromSpec } from './loss-from-spec.js';
import { poolViews } from './pool-memory.js';
import { CONTROL, type ReplicaIdle, type ReplicaInit, type ReplicaReply, type ReplicaStep } from './replica-protocol.js';
import { shardBarrier } from './shard-barrier.js';
import { runShardStep, shardContext, shardStep, type ShardStepContext } from './shard-step.js';
import { sliceGradients, type SliceLoss } from './slice-gradients.js';
import { threadCpuMs } from './thread-cpu.js';

const port = parentPort;
if (port === null) throw new Error('replica-worker runs on a worker thread only');
const init = workerData as ReplicaInit;
const reply = (r: ReplicaReply): void => port.postMessage(r);

try {
  await useBackend(init.backend, { log: null });
  const net = await tf.models.modelFromJSON({ modelTopology: init.topology as tf.io.ModelJSON['modelTopology'] });
  const model = dictModel(net, init.binding);
  const { layout } = init;
  const threads = init.update?.threads ?? init.index + 1;
  const { weights, regions } = poolViews(init.memory, layout, Math.max(threads, init.index + 1));
  const compute = sliceGradients({ model, losses: init.losses.map(lossFromSpec), layout, region: regions[init.index] as Float32Array });

  const loadWeights = (): void => {
    const values = net.weights.map((w, i) => {
      const at = layout.weights[i];
      if (at === undefined) throw new Error(`weight ${i} is missing from the layout`);
      return tf.tensor(weights.subarray(at.offset, at.offset + at.size), w.shape as number[]);
    });
    net.setWeights(values);
    tf.dispose(values);
  };

  /** A step whose update the main thread makes. */
  const step = (msg: ReplicaStep): ReplicaReply => {
    const c0 = threadCpuMs();
    const t0 = performance.now();
    loadWeights();
    const t1 = performance.now();
    const values = compute(msg.batch, msg.scale, msg.step);
    const t2 = performance.now();
    return { kind: 'done', ...values, ms: t2 - t0, phases: { load: t1 - t0, compute: t2 - t1, wait: 0, update: 0, cpu: threadCpuMs() - c0 }, applied: false };
  };

  const update = init.update;
  const shard: ShardStepContext | null = update === undefined ? null : shardContext(init.index, update, layout, { weights, regions }, init.memory);
  const barrier = shard === null ? null : shardBarrier(shard.control, shard.threads, `replica ${init.index}`);
  // Sharded steps: the weights of the next step are loaded right after this one's update (once
  // every participant has updated its part), after the reply, while the main thread reads them
  // back; the next step then starts computing at once. `preloadCpu`: that load's CPU ms, counted
  // in the next step's.
  let preloaded = false;
  let preloadCpu = 0;
  const preload = (): void => {
    const c0 = threadCpuMs();
    preloaded = false;
    loadWeights();
    preloaded = true;
    preloadCpu = threadCpuMs() - c0;
  };

  /**
   * A step with the sharded update: the slice's gradients (none for an idle replica), then this
   * replica's part of the update unless a slice failed or the loss is not finite.
   */
  const shardedStep = (msg: ReplicaStep | ReplicaIdle, ctx: ShardStepContext, b: NonNullable<typeof barrier>): ReplicaReply => {
    const u = msg.update as NonNullable<ReplicaStep['update']>;
    const c0 = threadCpuMs();
    const t0 = performance.now();
    Atomics.load(ctx.control, CONTROL.done); // orders this thread's reads after the other participants' last update
    let values: SliceLoss = { total: 0, terms: [] };
    let failure: string | null = null;
    let t1 = t0;
    const priorCpu = preloadCpu;
    preloadCpu = 0;
    if (msg.batch !== null) {
      try {
        if (!preloaded || u.reload) loadWeights();
        preloaded = false; // this step's forward may change state weights (batch norm): reload after it
        t1 = performance.now();
        values = compute(msg.batch, msg.scale, msg.step);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
        Atomics.store(ctx.control, CONTROL.failed, 1);
      }
    }
    const t2 = performance.now();
    const { applied, waited } = runShardStep(shardStep(ctx, u, values.total), () => b.wait());
    const t3 = performance.now();
    if (failure !== null) return { kind: 'error', message: failure };
    return {
      kind: 'done',
      ...values,
      ms: t3 - t0,
      phases: { load: t1 - t0, compute: t2 - t1, wait: waited, update: t3 - t2 - waited, cpu: threadCpuMs() - c0 + priorCpu },
      applied,
    };
  };

  port.on('message', (msg: ReplicaStep | ReplicaIdle) => {
    try {
      if (msg.update !== undefined && shard !== null && barrier !== null) {
        reply(shardedStep(msg, shard, barrier));
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

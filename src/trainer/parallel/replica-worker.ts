/**
 * A replica on a worker thread: its own tfjs backend (with fuseflow's kernels) and a copy of the
 * model rebuilt from its topology JSON. Per step it reads the weights from shared memory, computes
 * the gradients of its slice's loss scaled by `rows of slice / rows of batch`, and writes them
 * (then its batch-norm statistics) into its own region of the shared gradient buffer; the main
 * thread sums the regions and applies the update. Deterministic: one thread per replica, no
 * randomness besides the model's own seeded layers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '../models/batch-norm.js';
import '../models/seeded-dropout.js';
import { useBackend } from '../backend.js';
import { totalLoss } from '../losses/loss.js';
import { dictModel } from '../models/dict-model.js';
import { lossFromSpec } from './loss-from-spec.js';
import type { ReplicaInit, ReplicaReply, ReplicaStep } from './replica-protocol.js';

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

  const loadWeights = (): void => {
    const values = net.weights.map((w, i) => {
      const at = layout.weights[i];
      if (at === undefined) throw new Error(`weight ${i} is missing from the layout`);
      return tf.tensor(weights.subarray(at.offset, at.offset + at.size), w.shape as number[]);
    });
    net.setWeights(values);
    tf.dispose(values);
  };

  const step = (msg: ReplicaStep): ReplicaReply => {
    const t0 = performance.now();
    loadWeights();
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
        region.set(g.dataSync(), at.offset);
      });
      let at = layout.gradFloats;
      for (const [i, w] of net.weights.entries()) {
        if (layout.weights[i]?.trainable !== false) continue;
        const data = w.read().dataSync() as Float32Array;
        region.set(data, at);
        at += data.length;
      }
      const [total, terms] = kept;
      const values = { total: (total?.dataSync() as Float32Array)[0] ?? Number.NaN, terms: Array.from(terms?.dataSync() ?? []) };
      return { kind: 'done', ...values, ms: performance.now() - t0 };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...kept]);
    }
  };

  port.on('message', (msg: ReplicaStep) => {
    try {
      reply(step(msg));
    } catch (err) {
      reply({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
  reply({ kind: 'ready' });
} catch (err) {
  reply({ kind: 'error', message: `replica ${init.index} failed to start: ${err instanceof Error ? err.message : String(err)}` });
}

/**
 * The fixed CNN of issue 6, shared by the trainer and GPU benches: 28×28×1 → conv 3×3 32 → pool →
 * conv 3×3 64 → pool → dense 128 → 10, Adam 1e-3, softmax cross-entropy (the same model as
 * trainer-torch.py).
 */
import * as tf from '@tensorflow/tfjs';
import { withGpuErrorScope } from '../../src/trainer/webgpu-guard.js';

/** The fixed CNN's network (untrained), on the current backend. */
export function fixedCnnNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/** One training step's parts on the current backend. */
export interface FixedCnn {
  readonly model: tf.Sequential;
  /** One Adam step on the synthetic batch; reads the loss back (a sync point on any backend). */
  readonly step: () => number;
  readonly stepOn: (x: tf.Tensor, y: tf.Tensor) => number;
  /** The same step reading the loss back asynchronously (WebGPU in Node has no synchronous read). */
  readonly stepOnAsync: (x: tf.Tensor, y: tf.Tensor) => Promise<number>;
  readonly stepAsync: () => Promise<number>;
  readonly dispose: () => void;
}

/** The fixed CNN, its optimizer and one synthetic batch of `batch` rows, on the current backend. */
export function fixedCnn(batch: number, net: tf.Sequential = fixedCnnNet()): FixedCnn {
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const minimize = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar | null =>
    opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(yb, net.apply(xb) as tf.Tensor), true);
  const stepOn = (xb: tf.Tensor, yb: tf.Tensor): number => {
    const cost = minimize(xb, yb);
    const value = cost?.dataSync()[0] ?? Number.NaN;
    cost?.dispose();
    return value;
  };
  // inside WebGPU error scopes: a step the GPU rejected fails instead of timing garbage
  const stepOnAsync = (xb: tf.Tensor, yb: tf.Tensor): Promise<number> =>
    withGpuErrorScope('fixed CNN step', async () => {
      const cost = minimize(xb, yb);
      const value = cost === null ? Number.NaN : ((await cost.data())[0] ?? Number.NaN);
      cost?.dispose();
      return value;
    });
  return {
    model: net,
    step: () => stepOn(x, y),
    stepOn,
    stepOnAsync,
    stepAsync: () => stepOnAsync(x, y),
    dispose: () => {
      net.dispose();
      opt.dispose();
      tf.dispose([x, y]);
    },
  };
}

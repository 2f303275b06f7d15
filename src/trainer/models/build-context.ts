/**
 * What backbones and heads share while a network is built: seeded weight initializers (so the
 * same seed gives the same initial weights on any backend and in any process) and unique layer
 * names within the network.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/rng.js';

/** Builder state handed to every backbone and head. */
export interface BuildContext {
  /** A He-normal initializer (for ReLU layers) with the next seed of the sequence. */
  heNormal(): ReturnType<typeof tf.initializers.heNormal>;
  /** A Glorot-uniform initializer (for output layers) with the next seed of the sequence. */
  glorotUniform(): ReturnType<typeof tf.initializers.glorotUniform>;
  /** The next seed of the sequence (for seeded layers such as dropout). */
  nextSeed(): number;
  /** A layer name unique within the network, `<prefix>_<n>`. */
  name(prefix: string): string;
}

/**
 * A build context whose initializer seeds are drawn from fuseflow's {@link Rng} keyed by `seed`.
 * @example const ctx = buildContext(42); tf.layers.dense({ units: 8, kernelInitializer: ctx.heNormal(), name: ctx.name('fc') });
 */
export function buildContext(seed: number): BuildContext {
  const rng = Rng.fromParts(['fuseflow.trainer.init', seed]);
  const counts = new Map<string, number>();
  const nextSeed = (): number => rng.int(1, 2 ** 31 - 2);
  return {
    heNormal: () => tf.initializers.heNormal({ seed: nextSeed() }),
    glorotUniform: () => tf.initializers.glorotUniform({ seed: nextSeed() }),
    nextSeed,
    name(prefix) {
      const n = (counts.get(prefix) ?? 0) + 1;
      counts.set(prefix, n);
      return `${prefix}_${n}`;
    },
  };
}

/**
 * Optimizers with explicit, serializable state (step count and per-variable slots), so a
 * checkpoint restores them exactly: Adam (with optional decoupled weight decay, i.e. AdamW) and
 * SGD with momentum. The learning rate is given per step (from a schedule). Bias corrections
 * are computed from the step number in double precision, so a resumed run makes the same
 * updates bit for bit as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';

/** Optimizer settings (serializable). */
export type OptimizerConfig =
  | { readonly type: 'adam'; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number; readonly weightDecay?: number }
  | { readonly type: 'sgd'; readonly momentum?: number; readonly nesterov?: boolean; readonly weightDecay?: number };

/** A slot tensor of the optimizer state, read back as plain data. */
export interface OptimizerSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Serializable optimizer state. */
export interface OptimizerState {
  readonly config: OptimizerConfig;
  readonly step: number;
  readonly slots: readonly OptimizerSlot[];
}

/** An optimizer over a fixed list of variables. */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates applied so far. */
  readonly step: number;
  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `variables[i]`. Does not dispose `grads`. */
  apply(grads: readonly tf.Tensor[], lr: number): void;
  state(): Promise<OptimizerState>;
  /** @throws {TypeMismatchError} when the state does not fit the variables. */
  load(state: OptimizerState): void;
  dispose(): void;
  /**
   * Moves the slots into shared memory for an update made elsewhere (the replicas' sharded update,
   * `trainer/parallel`); afterwards `apply` is refused, `state`/`load` read and write the shared
   * slots, and the updater counts its updates with `advance`. `place`: where the slots go, given
   * their byte count (the replica pool puts them in its WebAssembly memory); default a
   * SharedArrayBuffer of their own. A second call returns the first one's slots.
   */
  share(place?: (bytes: number) => SharedSlotsPlace): SharedOptimizer;
}

/** Where shared slots live: `bytes` bytes of `buffer` from `byteOffset` (a multiple of 4). */
export interface SharedSlotsPlace {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** An optimizer whose slots live in shared memory (see {@link Optimizer.share}). */
export interface SharedOptimizer {
  readonly config: OptimizerConfig;
  /** Slot names per variable (`['m', 'v']` for Adam, `['momentum']` or none for SGD). */
  readonly slotNames: readonly string[];
  /** Elements of one slot over all variables (the variables' sizes summed, in order). */
  readonly floats: number;
  /** Slot `s` of every variable at `[s·floats, (s+1)·floats)` from `slotsOffset`, variables in order. */
  readonly slots: SharedArrayBuffer;
  /** Byte offset of the slots in `slots`. */
  readonly slotsOffset: number;
  /** Learning-rate factor of each variable, or null (all exactly `lr`). */
  readonly lrScales: readonly number[] | null;
  /** Counts one update made elsewhere; returns the new step. */
  advance(): number;
}

/** Options of {@link createOptimizer} beyond its config. */
export interface CreateOptimizerOptions {
  /** Factor on the learning rate of each variable (parameter groups). Default 1 for all. */
  readonly lrScales?: readonly number[];
}

/**
 * An optimizer for `variables`.
 * @example const opt = createOptimizer({ type: 'adam' }, model.trainableVariables()); opt.apply(grads, 1e-3);
 * @throws {OptionsError} for out-of-range hyper-parameters, or `lrScales` of another length than `variables`.
 */
export function createOptimizer(config: OptimizerConfig, variables: readonly tf.Variable[], options: CreateOptimizerOptions = {}): Optimizer {
  const scales = options.lrScales;
  if (scales !== undefined && (scales.length !== variables.length || !scales.every((x) => x >= 0 && Number.isFinite(x)))) {
    throw new OptionsError(`optimizer: lrScales needs ${variables.length} finite factors ≥ 0, got ${scales.length}`);
  }
  // The rate of variable i: exactly `lr` when no factor is given (unchanged updates).
  const rate = (lr: number, i: number): number => (scales === undefined ? lr : lr * (scales[i] as number));
  const wd = config.weightDecay ?? 0;
  if (!(wd >= 0)) throw new OptionsError(`optimizer: weightDecay must be ≥ 0, got ${wd}`);
  const slotNames = config.type === 'adam' ? ['m', 'v'] : (config.momentum ?? 0) > 0 ? ['momentum'] : [];
  if (config.type === 'adam') {
    for (const [k, v] of [
      ['beta1', config.beta1 ?? 0.9],
      ['beta2', config.beta2 ?? 0.999],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new OptionsError(`adam: ${k} must be in [0, 1), got ${v}`);
    }
    if (!((config.epsilon ?? 1e-7) > 0)) throw new OptionsError('adam: epsilon must be > 0');
  } else if (!((config.momentum ?? 0) >= 0 && (config.momentum ?? 0) < 1)) {
    throw new OptionsError(`sgd: momentum must be in [0, 1), got ${config.momentum}`);
  } else if (config.type !== 'sgd') {
    throw new OptionsError(`optimizer: unknown type '${(config as { type: string }).type}'`);
  }
  let slots: tf.Variable[][] = slotNames.map(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
  let step = 0;
  // After share(): the slots in shared memory (slot s, variable i at s·floats + offsets[i]).
  let shared: SharedOptimizer | null = null;
  const offsets: number[] = [];
  const floats = variables.reduce((at, v) => (offsets.push(at), at + v.size), 0);

  const apply = (grads: readonly tf.Tensor[], lr: number): void => {
    if (shared !== null) throw new OptionsError('optimizer: its slots are shared with replicas, which apply the updates');
    if (grads.length !== variables.length) throw new TypeMismatchError(`optimizer: ${grads.length} gradients for ${variables.length} variables`);
    step += 1;
    tf.tidy(() => {
      if (config.type === 'adam') {
        const b1 = config.beta1 ?? 0.9;
        const b2 = config.beta2 ?? 0.999;
        const eps = config.epsilon ?? 1e-7;
        const c1 = 1 - Math.pow(b1, step);
        const c2 = 1 - Math.pow(b2, step);
        const [ms, vs] = slots as [tf.Variable[], tf.Variable[]];
        variables.forEach((variable, i) => {
          const g = grads[i] as tf.Tensor;
          const m = ms[i] as tf.Variable;
          const v = vs[i] as tf.Variable;
          const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
          const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
          m.assign(m1);
          v.assign(v1);
          let update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
          if (wd > 0) update = tf.add(update, tf.mul(variable, wd));
          variable.assign(tf.sub(variable, tf.mul(update, rate(lr, i))));
        });
      } else {
        const mu = config.momentum ?? 0;
        variables.forEach((variable, i) => {
          let g = grads[i] as tf.Tensor;
          if (wd > 0) g = tf.add(g, tf.mul(variable, wd));
          if (mu > 0) {
            const buf = (slots[0] as tf.Variable[])[i] as tf.Variable;
            const b = tf.add(tf.mul(buf, mu), g);
            buf.assign(b);
            g = config.nesterov === true ? tf.add(g, tf.mul(b, mu)) : b;
          }
          variable.assign(tf.sub(variable, tf.mul(g, rate(lr, i))));
        });
      }
    });
  };

  return {
    config,
    get step() {
      return step;
    },
    apply,
    async state() {
      const out: OptimizerSlot[] = [];
      if (shared !== null) {
        const all = new Float32Array(shared.slots, shared.slotsOffset, slotNames.length * floats);
        slotNames.forEach((name, s) =>
          variables.forEach((v, i) => {
            const at = s * floats + (offsets[i] as number);
            out.push({ name: `${name}/${i}`, shape: v.shape, data: all.slice(at, at + v.size) });
          }),
        );
        return { config, step, slots: out };
      }
      for (let s = 0; s < slots.length; s++) {
        for (let i = 0; i < variables.length; i++) {
          const t = (slots[s] as tf.Variable[])[i] as tf.Variable;
          out.push({ name: `${slotNames[s]}/${i}`, shape: t.shape, data: (await t.data()) as Float32Array });
        }
      }
      return { config, step, slots: out };
    },
    load(state) {
      if (state.config.type !== config.type) throw new TypeMismatchError(`optimizer: checkpoint holds '${state.config.type}' state, this run uses '${config.type}'`);
      if (state.slots.length !== slotNames.length * variables.length) {
        throw new TypeMismatchError(`optimizer: checkpoint holds ${state.slots.length} slots, this model needs ${slotNames.length * variables.length}`);
      }
      const next = slotNames.map((_, s) =>
        variables.map((v, i) => {
          const slot = state.slots[s * variables.length + i] as OptimizerSlot;
          if (slot.shape.join(',') !== v.shape.join(','))
            throw new TypeMismatchError(`optimizer: slot ${slot.name} has shape [${slot.shape.join(',')}], variable needs [${v.shape.join(',')}]`);
          return slot;
        }),
      );
      step = state.step;
      if (shared !== null) {
        const all = new Float32Array(shared.slots, shared.slotsOffset, slotNames.length * floats);
        next.forEach((list, s) => list.forEach((slot, i) => all.set(slot.data, s * floats + (offsets[i] as number))));
        return;
      }
      tf.dispose(slots.flat());
      slots = next.map((list) => list.map((slot) => tf.variable(tf.tensor(slot.data, [...slot.shape]), false)));
    },
    share(place) {
      if (shared !== null) return shared;
      const bytes = slotNames.length * floats * 4;
      const { buffer, byteOffset } = place?.(bytes) ?? { buffer: new SharedArrayBuffer(bytes), byteOffset: 0 };
      const all = new Float32Array(buffer, byteOffset, slotNames.length * floats);
      slots.forEach((list, s) => list.forEach((t, i) => all.set(t.dataSync(), s * floats + (offsets[i] as number))));
      tf.dispose(slots.flat());
      slots = [];
      shared = { config, slotNames, floats, slots: buffer, slotsOffset: byteOffset, lrScales: scales === undefined ? null : [...scales], advance: () => (step += 1) };
      return shared;
    },
    dispose() {
      tf.dispose(slots.flat());
      slots = [];
    },
  };
}

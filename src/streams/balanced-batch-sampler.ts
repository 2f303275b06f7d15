/**
 * A class-balanced batch sampler with FuseMedML's `BatchSamplerDefault` semantics, seeded per
 * epoch instead of drawing from a global random state.
 */
import { OptionsError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** A class value. */
export type ClassLabel = string | number;

/** Options of {@link balancedBatchSampler}. */
export interface BalancedBatchSamplerOptions {
  /** Sample ids. */
  readonly ids: readonly string[];
  /** Class of each id (same length as `ids`). */
  readonly labels: readonly ClassLabel[];
  /**
   * Samples per batch. Required in `approx` mode and in `exact` mode without weights; in
   * `exact` mode with weights it defaults to their sum.
   */
  readonly batchSize?: number;
  /**
   * `exact`: every batch holds exactly `weight` samples of each class (integer weights summing
   * to the batch size). `approx`: each slot's class is drawn with probability `weight`.
   * Default `'exact'`.
   */
  readonly mode?: 'exact' | 'approx';
  /**
   * Per-class weights: an array indexed by class value (for classes `0..k-1`) or a record keyed
   * by `String(class)`. Classes without a weight get 0 (never sampled). Default: `exact` splits
   * the batch evenly (`floor(batchSize / k)` each, the remainder going one each to the first
   * classes in sorted order, so a batch always has `batchSize` samples); `approx` uniform.
   */
  readonly weights?: readonly number[] | Readonly<Record<string, number>>;
  /**
   * Batches per epoch: a number, `'overSample'` (`max` over classes of `ceil(n_c / per-batch
   * count of c)`, so every sample is seen at least once) or `'downSample'` (`min` of the same).
   * Default `'overSample'`.
   */
  readonly numBatches?: number | 'overSample' | 'downSample';
  /** Seed of the draws. Default 0. */
  readonly seed?: number;
}

/** A built sampler. */
export interface BalancedBatchSampler {
  readonly batchSize: number;
  readonly numBatches: number;
  /** Classes in sorted order. */
  readonly classes: readonly ClassLabel[];
  /** The weight of each class in `classes` order (counts in exact mode, probabilities in approx mode). */
  readonly weights: readonly number[];
  /** The epoch's batches of ids: a pure function of `(seed, epoch)`. */
  batches(epoch: number): string[][];
}

function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Builds a class-balanced batch sampler. Each class keeps a shuffled list of its ids and a
 * pointer; when a class runs out it is reshuffled and restarts (oversampling draws with
 * replacement across passes). The ids inside each batch are shuffled.
 *
 * Static or random: random, seeded from `Rng.fromParts([seed, epoch, 'balanced-batches'])`.
 * @example
 * const s = balancedBatchSampler({ ids: ['a', 'b', 'c', 'd', 'e'], labels: [0, 1, 2, 0, 0], batchSize: 3 });
 * s.numBatches; // 3
 * s.batches(0)[0]; // one id of each class, in random order
 * @throws {OptionsError} for mismatched ids/labels, bad weights or batch size, or a weighted
 * class with no samples.
 */
export function balancedBatchSampler(options: BalancedBatchSamplerOptions): BalancedBatchSampler {
  const { ids, labels } = options;
  if (ids.length !== labels.length) throw new OptionsError(`balancedBatchSampler: ${ids.length} ids but ${labels.length} labels`);
  const mode = options.mode ?? 'exact';
  if (mode !== 'exact' && mode !== 'approx') throw new OptionsError(`balancedBatchSampler: mode must be 'exact' or 'approx', got '${String(mode)}'`);
  const seed = options.seed ?? 0;

  const members = new Map<ClassLabel, string[]>();
  for (let i = 0; i < ids.length; i++) {
    const label = labels[i] as ClassLabel;
    if (typeof label !== 'string' && (typeof label !== 'number' || Number.isNaN(label))) {
      throw new OptionsError(`balancedBatchSampler: label of sample '${ids[i]}' must be a string or a number, got ${String(label)}`);
    }
    let list = members.get(label);
    if (list === undefined) members.set(label, (list = []));
    list.push(ids[i] as string);
  }
  const classes = [...members.keys()].sort(compareLabels);
  if (classes.length === 0) throw new OptionsError('balancedBatchSampler: no samples');

  const given = options.weights;
  const weightOf = (c: ClassLabel): number | undefined => {
    if (given === undefined) return undefined;
    if (Array.isArray(given)) return typeof c === 'number' ? (given as readonly number[])[c] : undefined;
    return (given as Readonly<Record<string, number>>)[String(c)];
  };
  if (given !== undefined) {
    const keys = Array.isArray(given) ? (given as readonly number[]).map((_, i) => i) : Object.keys(given);
    for (const k of keys) {
      const w = Array.isArray(given) ? (given as readonly number[])[k as number] : (given as Readonly<Record<string, number>>)[k as string];
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
        throw new OptionsError(`balancedBatchSampler: weight of class ${String(k)} must be a non-negative number, got ${String(w)}`);
      if (w > 0 && !classes.some((c) => String(c) === String(k))) {
        throw new OptionsError(`balancedBatchSampler: class ${String(k)} has weight ${w} but no samples`);
      }
    }
  }

  let batchSize: number;
  let weights: number[];
  if (mode === 'exact') {
    if (given === undefined) {
      if (options.batchSize === undefined) throw new OptionsError('balancedBatchSampler: exact mode needs batchSize or weights');
      batchSize = options.batchSize;
      checkBatchSize(batchSize);
      const base = Math.floor(batchSize / classes.length);
      const extra = batchSize % classes.length;
      weights = classes.map((_, i) => base + (i < extra ? 1 : 0));
    } else {
      weights = classes.map((c) => weightOf(c) ?? 0);
      for (const [i, w] of weights.entries()) {
        if (!Number.isInteger(w)) throw new OptionsError(`balancedBatchSampler: exact mode needs integer weights, class ${String(classes[i])} has ${w}`);
      }
      const sum = weights.reduce((a, b) => a + b, 0);
      batchSize = options.batchSize ?? sum;
      checkBatchSize(batchSize);
      if (sum !== batchSize) throw new OptionsError(`balancedBatchSampler: exact weights sum to ${sum}, batchSize is ${batchSize}`);
    }
  } else {
    if (options.batchSize === undefined) throw new OptionsError('balancedBatchSampler: approx mode needs batchSize');
    batchSize = options.batchSize;
    checkBatchSize(batchSize);
    const raw = given === undefined ? classes.map(() => 1) : classes.map((c) => weightOf(c) ?? 0);
    const sum = raw.reduce((a, b) => a + b, 0);
    if (sum <= 0) throw new OptionsError('balancedBatchSampler: approx weights sum to 0');
    weights = raw.map((w) => w / sum);
  }

  const perBatch = weights.map((w) => (mode === 'exact' ? w : w * batchSize));
  const counts = classes
    .map((c, i) => ((perBatch[i] as number) > 0 ? Math.ceil((members.get(c) as string[]).length / (perBatch[i] as number)) : undefined))
    .filter((x): x is number => x !== undefined);
  const nb = options.numBatches ?? 'overSample';
  let numBatches: number;
  if (nb === 'overSample') numBatches = Math.max(...counts);
  else if (nb === 'downSample') numBatches = Math.min(...counts);
  else if (typeof nb === 'number' && Number.isInteger(nb) && nb >= 0) numBatches = nb;
  else throw new OptionsError(`balancedBatchSampler: numBatches must be a non-negative integer, 'overSample' or 'downSample', got ${String(nb)}`);

  const slots: number[] = [];
  if (mode === 'exact')
    weights.forEach((w, c) => {
      for (let k = 0; k < w; k++) slots.push(c);
    });
  const classIndices = classes.map((_, i) => i);

  const batches = (epoch: number): string[][] => {
    const rng = Rng.fromParts([seed, epoch, 'balanced-batches']);
    const lists = classes.map((c) => rng.shuffle(members.get(c) as string[]));
    const pointers = classes.map(() => 0);
    const takeOne = (c: number): string => {
      let list = lists[c] as string[];
      if ((pointers[c] as number) >= list.length) {
        list = lists[c] = rng.shuffle(list);
        pointers[c] = 0;
      }
      return list[(pointers[c] as number)++] as string;
    };
    const out: string[][] = [];
    for (let b = 0; b < numBatches; b++) {
      const batch: string[] = [];
      if (mode === 'exact') for (const c of slots) batch.push(takeOne(c));
      else for (let k = 0; k < batchSize; k++) batch.push(takeOne(rng.choice(classIndices, weights)));
      out.push(rng.shuffle(batch));
    }
    return out;
  };

  return { batchSize, numBatches, classes, weights, batches };
}

function checkBatchSize(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new OptionsError(`balancedBatchSampler: batchSize must be a positive integer, got ${String(n)}`);
}

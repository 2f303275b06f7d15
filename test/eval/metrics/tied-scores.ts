/**
 * The data of the kept-rows tests (histogram-kept.test.ts, shard/kept-keys.test.ts): seeded
 * float32 scores on a grid (many ties, bins holding both classes) that rank Bernoulli(0.3)
 * targets, and their exact AUC and average precision by sorting every row.
 */
import { Rng } from '../../../src/core/rng.js';

/** What {@link tiedScores} draws. */
export interface TiedScoresOptions {
  /** Rows. */
  readonly rows: number;
  /** The seed's name (with 2026): each test its own rows. */
  readonly seed: string;
  /** The scores lie on a 2^-gridBits grid. */
  readonly gridBits: number;
  /** Subtracted from every score before it is put on the grid (default 0: scores in [0, 1)). */
  readonly offset?: number;
}

/**
 * Scores `round((0.55·u + 0.45·(y ? v : v²) − offset)·2^gridBits) / 2^gridBits` (u, v uniform)
 * for targets y ~ Bernoulli(0.3), as float32.
 * @example const { pred, target } = tiedScores({ rows: 1000, seed: 'mine', gridBits: 14 });
 */
export function tiedScores(options: TiedScoresOptions): { pred: Float32Array; target: Int8Array } {
  const { rows, seed, gridBits, offset = 0 } = options;
  const rng = Rng.fromParts([2026, seed]);
  const pred = new Float32Array(rows);
  const target = new Int8Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = rng.nextU32() < 0x4ccccccd ? 1 : 0;
    const u = rng.nextU32() / 2 ** 32;
    const v = rng.nextU32() / 2 ** 32;
    target[i] = y;
    pred[i] = Math.round((0.55 * u + 0.45 * (y ? v : v * v) - offset) * 2 ** gridBits) / 2 ** gridBits;
  }
  return { pred, target };
}

/** AUC (ties count one half) and average precision (scikit-learn's definition), by sorting every row. */
export function sortedAucAp(pred: Float32Array, target: Int8Array): { auc: number; ap: number } {
  const order = Array.from(pred.keys()).sort((a, b) => (pred[b] as number) - (pred[a] as number));
  let P = 0;
  for (const y of target) P += y;
  let tp = 0;
  let fp = 0;
  let pairs2 = 0;
  let ap = 0;
  for (let i = 0; i < order.length;) {
    const v = pred[order[i] as number] as number;
    let dp = 0;
    let dn = 0;
    for (; i < order.length && pred[order[i] as number] === v; i++) {
      if (target[order[i] as number] === 1) dp++;
      else dn++;
    }
    pairs2 += dn * (2 * tp + dp);
    tp += dp;
    fp += dn;
    if (dp > 0) ap += (dp / P) * (tp / (tp + fp));
  }
  return { auc: pairs2 / (2 * P * (target.length - P)), ap };
}

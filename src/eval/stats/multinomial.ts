/**
 * Exact multinomial resampling of counts: n draws with replacement from items grouped in
 * `counts` (probabilities counts[g] / n), as a stratified bootstrap does within one stratum.
 * Method: independent Poisson(counts[g]) draws, then the total is fixed exactly — missing items
 * are added by sampling groups in proportion to `counts` (a Multinomial(n − t) given t < n), or
 * surplus items are removed uniformly without replacement (thinning a Multinomial(t) sample to n
 * keeps it multinomial). Both steps preserve the Multinomial(n, p) law; the fix-up touches about
 * √n items. Above `exactUpTo` items (default 10^6) the fix-up is skipped: the draw is the Poisson
 * bootstrap's (total varying by about √n, 0.1% of n or less), whose cost does not grow with n —
 * the standard choice for massive data (Hanley & MacGibbon 2006; Chamandy et al. 2012).
 */
import type { Rng } from '../../core/rng.js';
import { poisson } from './poisson.js';

/** Fenwick tree over non-negative counts with "find the item at rank r". */
class CountTree {
  private readonly t: Float64Array;
  private readonly size: number;
  constructor(values: ArrayLike<number>) {
    this.size = values.length;
    this.t = new Float64Array(this.size + 1);
    for (let i = 0; i < this.size; i++) this.add(i, values[i] as number);
  }
  add(i: number, v: number): void {
    for (let j = i + 1; j <= this.size; j += j & -j) this.t[j] = (this.t[j] as number) + v;
  }
  /** Index g with prefix(g) <= r < prefix(g + 1). */
  find(r: number): number {
    let pos = 0;
    let step = 1;
    while (step * 2 <= this.size) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.size && (this.t[next] as number) <= r) {
        pos = next;
        r -= this.t[next] as number;
      }
    }
    return pos;
  }
}

/** Writes into `out` a Multinomial(Σ counts, counts / Σ counts) draw (Poisson beyond `exactUpTo`). */
export function multinomialResample(rng: Rng, counts: ArrayLike<number>, out: Float64Array, exactUpTo = 1e6): Float64Array {
  const g = counts.length;
  let n = 0;
  let t = 0;
  for (let k = 0; k < g; k++) {
    const c = counts[k] as number;
    n += c;
    const x = c > 0 ? poisson(rng, c) : 0;
    out[k] = x;
    t += x;
  }
  if (n > exactUpTo) return out;
  if (t < n) {
    const tree = new CountTree(counts);
    for (let m = n - t; m > 0; m--) {
      const k = tree.find(Math.floor(rng.next() * n));
      out[k] = (out[k] as number) + 1;
    }
  } else if (t > n) {
    const tree = new CountTree(out);
    let total = t;
    for (let m = t - n; m > 0; m--) {
      const k = tree.find(Math.floor(rng.next() * total));
      out[k] = (out[k] as number) - 1;
      tree.add(k, -1);
      total--;
    }
  }
  return out;
}

/**
 * An exactly rounded floating-point sum (Shewchuk's non-overlapping partials, as Python's
 * `math.fsum`). The partials hold the exact real sum of every term added, so the rounded result
 * does not depend on the order of the terms or on how shards were merged: a streaming metric
 * that sums doubles with it gives the same bits at any batch size and any sharding.
 */
export class ExactSum {
  private partials: number[] = [];
  private special = 0;

  /** Adds one term (NaN and infinities are carried as an IEEE sum of the specials). */
  add(x: number): this {
    if (!Number.isFinite(x)) {
      this.special += x;
      return this;
    }
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j] as number;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    // The partials become p[0..i], usually as many as before. Assigning `length` is a slow runtime
    // call in V8 (it was 10% of a default `eval`), so the list is trimmed with pop().
    if (i === p.length) p.push(x);
    else {
      while (p.length > i + 1) p.pop();
      p[i] = x;
    }
    return this;
  }

  /** Adds every partial of `other` (the exact sum of both). */
  addSum(other: ExactSum): this {
    for (const q of other.partials) this.add(q);
    this.special += other.special;
    return this;
  }

  /** A copy. */
  clone(): ExactSum {
    const c = new ExactSum();
    c.partials = [...this.partials];
    c.special = this.special;
    return c;
  }

  /** The exact sum rounded once to the nearest double (half to even). */
  value(): number {
    if (this.special !== 0 || Number.isNaN(this.special)) return this.special;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Correct the rounding when the remaining partials push a half-way case (as fsum does).
    if (n > 0 && ((lo < 0 && (p[n - 1] as number) < 0) || (lo > 0 && (p[n - 1] as number) > 0))) {
      const y = lo * 2;
      const x = hi + y;
      const yr = x - hi;
      if (y === yr) hi = x;
    }
    return hi;
  }
}

/** The exactly rounded sum of a list of numbers. */
export function exactSum(values: Iterable<number>): number {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s.value();
}

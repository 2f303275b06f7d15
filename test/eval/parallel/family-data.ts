/**
 * Shared by the parallel-evaluation tests: the rows every metric family reads, and the exact JSON
 * that "same bits for any thread count" compares.
 */
import { Rng } from '../../../src/core/rng.js';
import type { EvaluateResult } from '../../../src/eval/evaluate.js';

/** JSON with typed arrays as arrays and -0 kept apart from 0 (so "identical" means the same bits of every number). */
export function exactJson(r: EvaluateResult): string {
  return JSON.stringify({ metrics: r.metrics, status: r.status, rows: r.rows, passes: r.passes }, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v);
    return v;
  });
}

/** `n` rows (default 20,000) drawn from seed `[2026, seed]`: binary float32 scores (> 16,384 rows, so the AUC histogram is refined in an extra pass), regression values, 3 classes, groups, ids. */
export function familyData(n = 20_000, seed = 'parallel-eval') {
  const rng = Rng.fromParts([2026, seed]);
  const p = new Float32Array(n);
  const y = new Int8Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const k: string[] = [];
  const g: string[] = [];
  const id: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = rng.next() < 0.3 ? 1 : 0;
    y[i] = t;
    p[i] = Math.min(1, 0.6 * rng.next() + 0.4 * t * rng.next());
    const truth = rng.next() * 10 - 5;
    w[i] = truth;
    v[i] = truth + rng.next() - 0.5;
    const raw = [rng.next(), rng.next(), rng.next()];
    const cls = Math.floor(rng.next() * 3);
    raw[cls] = (raw[cls] as number) + 0.5;
    const sum = raw.reduce((s, x) => s + x, 0);
    a[i] = (raw[0] as number) / sum;
    b[i] = (raw[1] as number) / sum;
    c[i] = (raw[2] as number) / sum;
    k.push(['a', 'b', 'c'][cls] as string);
    g.push(`g${i % 5}`);
    id.push(`s${i}`);
  }
  return { p, y, v, w, a, b, c, k, g, id };
}

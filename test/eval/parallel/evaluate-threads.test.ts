/**
 * evaluate({ threads }): metrics given as a recipe run on worker threads and give the same JSON,
 * bit for bit, for 1, 2, 3 and 8 threads on every metric family (CIs and refinement passes
 * included); the in-thread metric objects agree to rounding.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import type { MetricsRecipe } from '../../../src/eval/parallel/metrics-recipe.js';
import { FuseflowError, InputError } from '../../../src/core/errors.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { everyFamily, segmentation } from './metric-sets.js';
import { exactJson, familyData } from './family-data.js';

const MODULE = new URL('./metric-sets.ts', import.meta.url).href;
const THREADS = [1, 2, 3, 8];

const recipe = (exportName: string, args: readonly unknown[] = []): MetricsRecipe => ({ module: MODULE, exportName, args });

describe('evaluate with threads', () => {
  it('gives the same JSON for 1, 2, 3 and 8 threads on every metric family, CIs and refinement passes included', async () => {
    const data = familyData();
    const runs: string[] = [];
    for (const threads of THREADS) {
      const r = await evaluate({ data, metrics: recipe('everyFamily', [20]), threads, batchSize: 500, segmentRows: 2000 });
      expect(r.threads).toBe(threads === 1 ? 0 : threads);
      expect(r.rows).toBe(20_000);
      expect(r.passes).toBeGreaterThan(1); // the AUC histogram was refined
      runs.push(exactJson(r));
    }
    for (const run of runs.slice(1)) expect(run).toBe(runs[0]);
    // The same metrics as objects, in this thread with one state, agree to rounding (float sums are grouped differently).
    const plain = await evaluate({ data, metrics: everyFamily(20), batchSize: 500 });
    const parallel = JSON.parse(runs[0] as string) as { metrics: Record<string, unknown> };
    expect(approx((JSON.parse(exactJson(plain)) as { metrics: unknown }).metrics)).toEqual(approx(parallel.metrics));
  }, 120_000);

  it('gives the same segmentation metrics (label volumes per row) for 1, 2 and 3 threads', async () => {
    const rng = Rng.fromParts([2026, 'parallel-seg']);
    const seg: unknown[] = [];
    const truth: unknown[] = [];
    for (let i = 0; i < 23; i++) {
      const t = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Math.floor(rng.next() * 3))));
      const s = t.map((plane) => plane.map((line) => line.map((x) => (rng.next() < 0.2 ? Math.floor(rng.next() * 3) : x))));
      truth.push(t);
      seg.push(s);
    }
    const runs: string[] = [];
    for (const threads of [1, 2, 3])
      runs.push(exactJson(await evaluate({ data: arraySource({ seg, truth }), metrics: recipe('segmentation'), threads, batchSize: 2, segmentRows: 4 })));
    for (const run of runs.slice(1)) expect(run).toBe(runs[0]);
    const plain = await evaluate({ data: arraySource({ seg, truth }), metrics: segmentation(), batchSize: 2 });
    expect(approx((JSON.parse(exactJson(plain)) as { metrics: unknown }).metrics)).toEqual(approx((JSON.parse(runs[0] as string) as { metrics: unknown }).metrics));
  }, 60_000);

  it('reports the first bad row in input order, as in one thread, whatever the thread count', async () => {
    const data = familyData(5000);
    const p = data['p'] as Float32Array;
    p[3100] = 0.999;
    p[1200] = 0.998; // the first bad row: its segment (1000 rows) may finish after 3100's on another thread
    for (const [i, x] of p.entries()) if (x > 0.99 && i !== 3100 && i !== 1200) p[i] = 0.5;
    const messages: string[] = [];
    for (const threads of [1, 2, 3]) {
      const err = await evaluate({ data, metrics: recipe('failingAbove', [0.99]), threads, batchSize: 100, segmentRows: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      messages.push((err as Error).message);
    }
    expect(messages[0]).toMatch(/row 1200/);
    expect(new Set(messages).size).toBe(1);
  }, 60_000);

  it('fails with a message, not a hang, when a worker thread exits mid-pass', async () => {
    const t0 = Date.now();
    const err = await evaluate({ data: familyData(5000), metrics: recipe('exitingAfter', [300]), threads: 2, batchSize: 50, segmentRows: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FuseflowError);
    expect((err as Error).message).toMatch(/worker lane \d stopped \(its thread exited\)|evaluation worker thread stopped/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it('refuses a bad thread count and a recipe whose module lacks the export', async () => {
    await expect(evaluate({ data: familyData(10), metrics: recipe('everyFamily', [5]), threads: 0 })).rejects.toThrow(/threads must be/);
    await expect(evaluate({ data: familyData(10), metrics: recipe('noSuchExport'), threads: 2 })).rejects.toThrow(/no exported function 'noSuchExport'/);
  });
});

/** Numbers rounded to 9 significant digits, for comparing results whose float sums were grouped differently. */
function approx(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toPrecision(9)) : v;
  if (v === '-0') return 0;
  if (Array.isArray(v)) return v.map(approx);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, approx(x)]));
  return v;
}

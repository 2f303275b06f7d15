/**
 * Fuzz: a CSV of predictions (id, p, y), cut at a random byte or with one random bit flipped,
 * evaluated (AUC, Brier, accuracy at 0.5) through `evaluate` over `csvSource` with the score
 * columns declared as probabilities.
 *
 * The property, stated honestly: CSV has no checksum and no end marker, so some damage leaves a
 * valid CSV with other values — a digit flipped into another digit, a file cut at a line end or
 * inside the last number. No reader can tell those from real data. What it can and must do is
 * read exactly the values the damaged bytes hold, never a row more or less, and refuse anything
 * that is not a well-formed table of probabilities. So each case is compared with an independent
 * reference: the damaged text parsed by the spec written out plainly in this file (lines, commas,
 * strict decimals, p in [0, 1], y in {0, 1}), metrics computed by hand (Mann–Whitney AUC, mean
 * squared error, thresholded accuracy). Where the reference finds a well-formed table, fuseflow
 * must return its answer (the undamaged answer when nothing changed); where it does not, fuseflow
 * must throw an InputError naming the file (a table left with one class gets the AUC's own error).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FuseflowError, InputError } from '../../src/core/errors.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { accuracy, auc, brier } from '../../src/eval/metrics/index.js';
import { csvSource } from '../../src/eval/sources/csv-source.js';
import { FuzzTally, applyDamage, damageOf, fuzzParams, type Damage } from './fuzz-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-fuzz-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  readonly auc: number;
  readonly brier: number;
  readonly accuracy: number;
  readonly rows: number;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The reference: parse `text` by the spec, or say why it is not a table of probabilities. */
function reference(text: string): Answer | { readonly invalid: string } {
  if (text.includes('"')) return { invalid: 'a quote' };
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
  const [header, ...rows] = lines;
  if (header === undefined) return { invalid: 'empty' };
  const names = header.split(',');
  if (new Set(names).size !== names.length) return { invalid: 'duplicate column' };
  const pi = names.indexOf('p');
  const yi = names.indexOf('y');
  if (pi < 0 || yi < 0) return { invalid: 'no p or y column' };
  const p: number[] = [];
  const y: number[] = [];
  for (const row of rows) {
    const f = row.split(',');
    if (f.length !== names.length) return { invalid: 'field count' };
    const ps = (f[pi] as string).trim();
    const ys = (f[yi] as string).trim();
    if (!DECIMAL.test(ps) || !DECIMAL.test(ys)) return { invalid: 'not a number' };
    const pv = Number(ps);
    const yv = Number(ys);
    if (yv !== 0 && yv !== 1) return { invalid: 'target outside {0, 1}' };
    if (pv < 0 || pv > 1) return { invalid: 'not a probability' };
    p.push(pv);
    y.push(yv);
  }
  if (p.length === 0) return { invalid: 'no rows' };
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < p.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      wins += (p[i] as number) > (p[j] as number) ? 1 : (p[i] as number) === (p[j] as number) ? 0.5 : 0;
    }
  }
  const n = p.length;
  return {
    auc: pairs === 0 ? Number.NaN : wins / pairs,
    brier: p.reduce((s, v, i) => s + (v - (y[i] as number)) ** 2, 0) / n,
    accuracy: p.filter((v, i) => (v > 0.5 ? 1 : 0) === y[i]).length / n,
    rows: n,
  };
}

async function fuseflow(path: string): Promise<Answer> {
  const r = await evaluate({
    data: csvSource(path, { columns: ['p', 'y'], types: { p: 'number', y: 'number' } }),
    metrics: { auc: auc({ pred: 'p', target: 'y' }), brier: brier({ pred: 'p', target: 'y' }), accuracy: accuracy({ pred: 'p', target: 'y' }) },
    scores: { columns: ['p'], kind: 'probabilities' },
  });
  return { auc: r.metrics['auc'] as number, brier: r.metrics['brier'] as number, accuracy: r.metrics['accuracy'] as number, rows: r.rows };
}

function predictionsCsv(): string {
  const lines = ['id,p,y'];
  for (let i = 0; i < 40; i++) lines.push(`c${String(i).padStart(3, '0')},${(((i * 37) % 41) / 41).toFixed(4)},${i % 3 === 1 || i % 5 === 0 ? 1 : 0}`);
  return `${lines.join('\n')}\n`;
}

describe('fuzz: a damaged CSV of predictions', () => {
  it('gives the answer of exactly the values the bytes hold, or an InputError naming the file', async () => {
    const text = predictionsCsv();
    const bytes = new TextEncoder().encode(text);
    const whole = join(dir, 'preds.csv');
    writeFileSync(whole, text);
    const undamaged = reference(text) as Answer;
    expect(undamaged.rows).toBe(40);
    const got0 = await fuseflow(whole);
    expect(got0.rows).toBe(40);
    for (const k of ['auc', 'brier', 'accuracy'] as const) expect(got0[k]).toBeCloseTo(undamaged[k], 12);
    const tally = new FuzzTally('csv');
    let changed = 0;
    let oneClass = 0;
    const path = join(dir, 'damaged.csv');
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (d: Damage) => {
        const damaged = applyDamage(bytes, d);
        writeFileSync(path, damaged);
        const want = reference(new TextDecoder().decode(damaged));
        let got: Answer;
        try {
          got = await fuseflow(path);
        } catch (err) {
          if ('rows' in want && Number.isNaN(want.auc)) {
            // One class left (a short cut): AUC is undefined and says so.
            expect(err).toBeInstanceOf(FuseflowError);
            expect((err as Error).message).toMatch(/auc/);
            oneClass++;
            return;
          }
          if (!(err instanceof InputError)) throw new Error(`expected an InputError naming ${path}, got ${String(err)}`, { cause: err });
          expect('invalid' in want, `fuseflow refused a well-formed table: ${(err as Error).message}`).toBe(true);
          expect((err as Error).message).toContain(path);
          tally.refused++;
          return;
        }
        expect('invalid' in want ? want.invalid : '', 'fuseflow accepted a table the spec refuses').toBe('');
        const w = want as Answer;
        expect(got.rows).toBe(w.rows);
        for (const k of ['auc', 'brier', 'accuracy'] as const) expect(got[k], k).toBeCloseTo(w[k], 12);
        const same = w.rows === undamaged.rows && (['auc', 'brier', 'accuracy'] as const).every((k) => Math.abs(w[k] - undamaged[k]) < 1e-12);
        if (same) tally.exact++;
        else changed++;
      }),
      fuzzParams(300),
    );
    tally.report();
    console.log(
      `fuzz csv: ${changed} cases left a well-formed table with other values (a digit flipped into a digit, a cut at a line end): answered from exactly those values; ${oneClass} cuts left one class (AUC undefined, refused)`,
    );
  });
});

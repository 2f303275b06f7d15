/**
 * `fuseflow eval` never writes over what the user did not name, never takes a non-probability
 * for a probability, and refuses options that would hang: issue 9 items 3, 8 and 16 (the `eval`
 * parts), each against an independent reference (the untouched input bytes, hand-computed
 * sigmoid / softmax probabilities, the KNIGHT fixture's column names).
 */
import { linkSync, readFileSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.js';
import { brier, auc, logLoss } from '../../src/eval/metrics/index.js';
import { InputError } from '../../src/core/errors.js';
import { KNIGHT_CSV, KNIGHT_TASK1_ARGS } from '../eval/knight-fixture.js';
import { fuseflowEval, type CliRun } from './run-cli.js';
import { RecordBatchStreamWriter, Table, tableFromIPC, vectorFromArray } from 'apache-arrow';
import { tempFolder } from '../temp-folder.js';

/** The `metrics` object of a `--json` run. */
function metricsOf(r: CliRun): Record<string, number> {
  return (JSON.parse(r.out) as { metrics: Record<string, number> }).metrics;
}

const { dir, write: file } = tempFolder('fuseflow-eval-safety-');

const PREDS = 'id,p,y\na,0.1,0\nb,0.8,1\nc,0.35,0\nd,0.6,1\ne,0.7,0\n';

describe('fuseflow eval --report: outputs checked before any work', () => {
  it('refuses to write the report over an input file, with or without --overwrite, leaving it intact', async () => {
    const input = file('input.csv', PREDS);
    const hard = join(dir, 'hard-link.html');
    linkSync(input, hard);
    for (const args of [
      ['--report', input],
      ['--report', input, '--overwrite'],
      ['--report', hard, '--overwrite'],
    ]) {
      const r = await fuseflowEval('--input', input, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--json', ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/is the input file .*input\.csv'; refusing to write over an input/);
      expect(r.out).toBe('');
    }
    expect(readFileSync(input, 'utf8')).toBe(PREDS);
  });

  it('refuses an existing report file unless --overwrite, and then replaces it atomically', async () => {
    const input = file('in2.csv', PREDS);
    const report = file('old-report.html', 'my notes\n');
    const refused = await fuseflowEval('--input', input, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--report', report);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/old-report\.html: already exists; refusing to overwrite it/);
    expect(readFileSync(report, 'utf8')).toBe('my notes\n');
    const replaced = await fuseflowEval('--input', input, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--report', report, '--overwrite', '--json');
    expect(replaced.code, replaced.err).toBe(0);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a report path that is a symbolic link, even with --overwrite, leaving its target intact', async () => {
    const input = file('in3.csv', PREDS);
    const elsewhere = file('elsewhere.txt', 'keep me\n');
    const link = join(dir, 'link.html');
    symlinkSync(elsewhere, link);
    const r = await fuseflowEval('--input', input, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--report', link, '--overwrite');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/link\.html: is a symbolic link/);
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep me\n');
  });

  it('says a missing folder is missing, in one line, before computing anything', async () => {
    const input = file('in4.csv', PREDS);
    const report = join(dir, 'no-such-folder', 'report.html');
    // --ci 100000 would take many seconds: the refusal must come first.
    const t0 = performance.now();
    const r = await fuseflowEval('--input', input, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--ci', '100000', '--ci-resample', 'rows', '--report', report);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no-such-folder\/report\.html: cannot write .*its folder does not exist/);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });
});

describe('fuseflow eval --scores: probabilities are checked, logits converted, raw scores only ranked', () => {
  it('refuses a score outside [0, 1] or a non-decimal score, naming file, line, column and value', async () => {
    const over = file('over.csv', 'id,p,y\na,0.1,0\nb,1.7,1\nc,0.4,0\n');
    const hex = file('hex.csv', 'id,p,y\na,0.1,0\nb,0x10,1\nc,0.4,0\n');
    const r1 = await fuseflowEval('--input', over, '--pred', 'p', '--target', 'y', '--metrics', 'brier');
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/over\.csv:line 3: column 'p': score 1\.7 is not a probability in \[0, 1\]/);
    const r2 = await fuseflowEval('--input', hex, '--pred', 'p', '--target', 'y', '--id', 'id', '--metrics', 'brier');
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/hex\.csv:line 3: column 'p', id 'b': score "0x10" is not a decimal number/);
    // Even a rank metric refuses a non-number under --scores raw.
    const r3 = await fuseflowEval('--input', hex, '--pred', 'p', '--target', 'y', '--scores', 'raw');
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/hex\.csv:line 3: column 'p': score "0x10" is not a decimal number/);
    for (const r of [r1, r2, r3]) expect(r.out).toBe('');
  });

  it('--scores logits applies the sigmoid (binary) or the softmax (classes): the same metrics as the probabilities', async () => {
    const logits = [-2.2, 1.4, -0.6, 0.4, 0.85, -3, 2.5];
    const y = [0, 1, 0, 1, 0, 0, 1];
    const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
    const asLogits = file('logits.csv', ['p,y', ...logits.map((x, i) => `${x},${y[i]}`)].join('\n') + '\n');
    const asProbs = file('probs.csv', ['p,y', ...logits.map((x, i) => `${sigmoid(x)},${y[i]}`)].join('\n') + '\n');
    const metrics = ['--metrics', 'auc,brier,logloss,accuracy', '--json'];
    const fromLogits = await fuseflowEval('--input', asLogits, '--pred', 'p', '--target', 'y', '--scores', 'logits', ...metrics);
    const fromProbs = await fuseflowEval('--input', asProbs, '--pred', 'p', '--target', 'y', ...metrics);
    expect(fromLogits.code, fromLogits.err).toBe(0);
    const a = metricsOf(fromLogits);
    const b = metricsOf(fromProbs);
    for (const k of ['auc', 'brier', 'logloss', 'accuracy']) expect(a[k], k).toBeCloseTo(b[k] as number, 12);
    // Hand-computed Brier of the sigmoid probabilities.
    expect(a['brier']).toBeCloseTo(logits.reduce((s, x, i) => s + (sigmoid(x) - (y[i] as number)) ** 2, 0) / logits.length, 12);
    // Three classes: softmax across the columns.
    const rows = [
      [2, 0.5, -1, 'A'],
      [0.1, 1.2, 0.3, 'B'],
      [-1, 0, 2.2, 'C'],
      [0.4, 0.2, 0.1, 'B'],
    ] as const;
    const softmax = (r: readonly number[]): number[] => {
      const e = r.map((v) => Math.exp(v));
      const s = e.reduce((x, v) => x + v, 0);
      return e.map((v) => v / s);
    };
    const mcLogits = file('mc-logits.csv', ['A,B,C,y', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const mcProbs = file('mc-probs.csv', ['A,B,C,y', ...rows.map((r) => [...softmax([r[0], r[1], r[2]]), r[3]].join(','))].join('\n') + '\n');
    const m1 = await fuseflowEval('--input', mcLogits, '--pred', 'A,B,C', '--target', 'y', '--scores', 'logits', '--metrics', 'brier,logloss', '--json');
    const m2 = await fuseflowEval('--input', mcProbs, '--pred', 'A,B,C', '--target', 'y', '--metrics', 'brier,logloss', '--json');
    expect(m1.code, m1.err).toBe(0);
    expect(metricsOf(m1)['brier']).toBeCloseTo(metricsOf(m2)['brier'] as number, 12);
    expect(metricsOf(m1)['logloss']).toBeCloseTo(metricsOf(m2)['logloss'] as number, 12);
  });

  it('--scores raw computes the rank metrics only (the default then) and refuses the others with a message', async () => {
    const raw = file('raw.csv', 'p,y\n-3.5,0\n12,1\n0.2,0\n4,1\n7,0\n');
    const ok = await fuseflowEval('--input', raw, '--pred', 'p', '--target', 'y', '--scores', 'raw', '--json');
    expect(ok.code, ok.err).toBe(0);
    // By hand: positives 12, 4; negatives -3.5, 0.2, 7 → pairs ranked right: 12 beats 3, 4 beats 2 → 5/6.
    expect(Object.keys(metricsOf(ok))).toEqual(['auc', 'aucpr']);
    expect(metricsOf(ok)['auc']).toBe(5 / 6);
    const refused = await fuseflowEval('--input', raw, '--pred', 'p', '--target', 'y', '--scores', 'raw', '--metrics', 'auc,brier,accuracy');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/--scores raw: brier, accuracy need probabilities/);
    const asProbabilities = await fuseflowEval('--input', raw, '--pred', 'p', '--target', 'y', '--metrics', 'auc');
    expect(asProbabilities.code).toBe(1);
    expect(asProbabilities.err).toMatch(/raw\.csv:line 2: column 'p': score -3\.5 is not a probability/);
  });

  it('the library refuses a probability outside [0, 1] by default and converts logits on request', async () => {
    const over = file('lib-over.csv', 'p,y\n0.2,0\n1.7,1\n');
    await expect(evaluate({ data: over, metrics: { brier: brier({ pred: 'p', target: 'y' }) } })).rejects.toThrow(InputError);
    await expect(evaluate({ data: over, metrics: { brier: brier({ pred: 'p', target: 'y' }) } })).rejects.toThrow(
      /lib-over\.csv:line 3: .*score 1\.7 is not a probability in \[0, 1\]/,
    );
    await expect(evaluate({ data: over, metrics: { ll: logLoss({ pred: 'p', target: 'y' }) } })).rejects.toThrow(/lib-over\.csv:line 3/);
    // Rank metrics take any numbers; the explicit option checks or converts.
    expect((await evaluate({ data: over, metrics: { auc: auc({ pred: 'p', target: 'y' }) } })).metrics['auc']).toBe(1);
    const viaOption = await evaluate({ data: { p: [0, 2], y: [0, 1] }, metrics: { brier: brier({ pred: 'p', target: 'y' }) }, scores: { columns: ['p'], kind: 'logits' } });
    expect(viaOption.metrics['brier']).toBeCloseTo((0.5 ** 2 + (1 - 1 / (1 + Math.exp(-2))) ** 2) / 2, 14);
    await expect(evaluate({ data: { p: ['0x10', 0.5], y: [1, 0] }, metrics: { brier: brier({ pred: 'p', target: 'y' }) } })).rejects.toThrow(/score 0x10 is not a finite number/);
  });
});

describe('fuseflow eval on damaged Arrow input', () => {
  it('refuses an .arrows stream cut at a record-batch boundary (20,000 of 40,000 rows) instead of evaluating it', async () => {
    const writer = new RecordBatchStreamWriter();
    for (let b = 0; b < 2; b++) {
      const n = 20_000;
      const t = new Table({
        p: vectorFromArray(Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000)),
        y: vectorFromArray(Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000 > 400 + b * 100 ? 1 : 0))),
      });
      for (const rb of t.batches) writer.write(rb);
    }
    writer.finish();
    const whole = writer.toUint8Array(true);
    const full = join(dir, 'full.arrows');
    writeFileSync(full, whole);
    const ok = await fuseflowEval('--input', full, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--json');
    expect(ok.code, ok.err).toBe(0);
    // The first batch alone, as a writer leaves it before finishing: no end-of-stream marker.
    const batch0 = tableFromIPC(whole).batches[0];
    if (batch0 === undefined) throw new Error('no record batch written');
    const first = new RecordBatchStreamWriter();
    first.write(batch0);
    first.finish();
    const half = first.toUint8Array(true);
    const cut = join(dir, 'cut.arrows');
    writeFileSync(cut, whole.subarray(0, half.length - 8));
    const r = await fuseflowEval('--input', cut, '--pred', 'p', '--target', 'y', '--metrics', 'auc', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cut\.arrows: truncated Arrow stream: no end-of-stream marker after 20000 rows/);
    expect(r.out).toBe('');
  });
});

describe('fuseflow eval: options that would hang or mislead', () => {
  it.each([
    [['--ci', '1e12'], /--ci must be a whole number from 2 to 100,000, got '1e12'/],
    [['--ci', '100001'], /--ci must be a whole number from 2 to 100,000/],
    [['--ci', '0x10'], /--ci must be a whole number/],
    [['--seed', '-1'], /--seed must be a whole number from 0 to 4,294,967,295, got '-1'/],
    [['--seed', '1.5'], /--seed must be a whole number/],
    [['--seed', '1e3'], /--seed must be a whole number/],
    [['--batch-size', '0'], /--batch-size must be a whole number from 1/],
    [['--threshold', '0x10'], /--threshold must be a finite number, got '0x10'/],
    [['--scores', 'probs'], /--scores must be probabilities, logits, raw, got 'probs'/],
    [['--overwrite'], /--overwrite applies to --report FILE/],
  ])('refuses %j as bad usage (exit 2) without running', async (extra, message) => {
    const r = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--metrics', 'auc', ...extra);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('names the 3 closest columns for a misspelt --pred, not every column', async () => {
    const r = await fuseflowEval('--input', KNIGHT_CSV, '--pred', 'CanAT-scroe', '--target', 'task1_target', '--metrics', 'auc');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/key 'CanAT-scroe'.*column is missing; closest: 'CanAT-score', 'NoAT-score', '[^']+' \(of 12 columns\)/);
    expect(r.err).not.toContain('VHR-score');
  });
});

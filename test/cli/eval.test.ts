/**
 * `fuseflow eval` end to end, as a subprocess, on FuseMedML's 60-case KNIGHT data
 * (test/fixtures/eval/knight.csv) against the numbers FuseMedML's eval tests assert
 * (/work/shared/reference/fusemedml-eval-test-values.md §B.2, §B.9).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatchFileWriter, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { KNIGHT_CSV, KNIGHT_TASK1_ARGS, knightColumns, removeKnightFiles, writeKnightSplit } from '../eval/knight-fixture.js';
import { fuseflowEval, runCliProcess, type CliRun } from './run-cli.js';

/** Runs `fuseflow eval` as a subprocess. */
function fuseflow(...args: string[]): Promise<CliRun> {
  return runCliProcess('eval', ...args);
}

/** A run's stdout parsed as JSON (what `fuseflow eval` prints). */
function parsed(run: CliRun): unknown {
  return JSON.parse(run.out) as unknown;
}

/** The value at `path` inside parsed JSON; throws naming the path when a key is absent. */
function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  path.forEach((key, i) => {
    if (typeof v !== 'object' || v === null || !(key in v)) throw new Error(`no '${path.slice(0, i + 1).join('.')}' in the output`);
    v = (v as Record<string, unknown>)[key];
  });
  return v;
}

/** {@link at}, which must be a number. */
function num(value: unknown, ...path: string[]): number {
  const v = at(value, ...path);
  if (typeof v !== 'number') throw new Error(`'${path.join('.')}' is ${JSON.stringify(v)}, not a number`);
  return v;
}

/** The keys of a JSON object, in order. */
function keysOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return Object.keys(value);
}

const knight = knightColumns();
const dir = mkdtempSync(join(tmpdir(), 'fuseflow-eval-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeKnightFiles();
});

describe('fuseflow eval', () => {
  it('prints one JSON object with the KNIGHT task-1 metrics (AUC 0.845), from CSV, joined CSVs and Arrow', async () => {
    const split = writeKnightSplit();
    const arrow = join(dir, 'knight.arrow');
    const w = new RecordBatchFileWriter();
    w.writeAll(
      new Table({
        id: vectorFromArray(knight.id as string[], new Utf8()),
        score: vectorFromArray(Float32Array.from(knight['CanAT-score'] as string[], Number)),
        y: vectorFromArray(Int32Array.from(knight.task1_target as string[], Number)),
      }),
    );
    writeFileSync(arrow, w.toUint8Array(true));
    const single = await fuseflow(...KNIGHT_TASK1_ARGS, '--json');
    const joined = await fuseflowEval(
      '--input',
      split.preds,
      '--input',
      split.targets,
      '--id',
      'id',
      '--pred',
      'CanAT-score',
      '--target',
      'Task1-target',
      '--metrics',
      'auc,accuracy',
      '--json',
    );
    const fromArrow = await fuseflowEval('--input', arrow, '--pred', 'score', '--target', 'y', '--metrics', 'auc', '--json');
    for (const r of [single, joined, fromArrow]) {
      expect(r.code, r.err).toBe(0);
      expect(r.out.trim().split('\n')).toHaveLength(1);
    }
    const m = at(parsed(single), 'metrics');
    expect(keysOf(m)).toEqual(['auc', 'aucpr', 'accuracy', 'balanced-accuracy', 'confusion', 'brier', 'mcc', 'logloss']);
    expect(at(m, 'auc')).toBeCloseTo(0.845, 12);
    // Hand count at threshold 0.5 (strictly above is positive): tp 15, fn 5, fp 8, tn 32.
    expect(at(m, 'confusion')).toMatchObject({ tp: 15, fn: 5, fp: 8, tn: 32 });
    expect(at(m, 'accuracy')).toBeCloseTo(47 / 60, 12);
    expect(at(m, 'balanced-accuracy')).toBeCloseTo((15 / 20 + 32 / 40) / 2, 12);
    expect(parsed(joined)).toEqual({ metrics: { auc: at(m, 'auc'), accuracy: at(m, 'accuracy') } });
    // --threshold: accuracy and confusion counts at 0.3, by hand from the fixture.
    const at03 = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--metrics', 'accuracy,confusion', '--threshold', '0.3', '--json');
    expect(at03.code, at03.err).toBe(0);
    const scores = (knight['CanAT-score'] as string[]).map(Number);
    const t1 = (knight.task1_target as string[]).map(Number);
    const tp = scores.filter((p, i) => p > 0.3 && t1[i] === 1).length;
    const tn = scores.filter((p, i) => p <= 0.3 && t1[i] === 0).length;
    expect(at(parsed(at03), 'metrics', 'accuracy')).toBeCloseTo((tp + tn) / 60, 12);
    expect(at(parsed(at03), 'metrics', 'confusion')).toMatchObject({ tp, tn, fn: 20 - tp, fp: 40 - tn });
    // float32 scores keep the order of the float64 ones here.
    expect(at(parsed(fromArrow), 'metrics', 'auc')).toBeCloseTo(0.845, 12);
  });

  it('evaluates class probabilities one-vs-rest (KNIGHT task 2, FuseMedML example_8) and prints a table', async () => {
    const preds = ['B-score', 'LR-score', 'IR-score', 'HR-score', 'VHR-score'].join(',');
    const json = await fuseflow('--input', KNIGHT_CSV, '--pred', preds, '--target', 'task2_class', '--metrics', 'auc,accuracy,confusion-matrix,reliability,ece', '--json');
    const text = await fuseflowEval('--input', KNIGHT_CSV, '--pred', preds, '--target', 'task2_class', '--metrics', 'auc', '--id', 'id');
    expect(json.code, json.err).toBe(0);
    const m = at(parsed(json), 'metrics');
    expect(at(m, 'auc', 'B')).toBeCloseTo(0.8771929824561403, 12);
    expect(at(m, 'auc', 'LR')).toBeCloseTo(0.8574635241301908, 12);
    expect(at(m, 'auc', 'IR')).toBeCloseTo(0.6696428571428571, 12);
    expect(at(m, 'auc', 'HR')).toBeCloseTo(0.9110512129380054, 12);
    expect(at(m, 'auc', 'VHR')).toBeCloseTo(0.723404255319149, 12);
    expect(at(m, 'auc', 'macro_avg')).toBeCloseTo(0.8077509663972686, 12);
    expect(at(m, 'accuracy')).toBeCloseTo(34 / 60, 12);
    // Reference §B.14: 10 equal-width bins of the top-class probability.
    expect(at(m, 'reliability', 'num_samples_per_bin')).toEqual([0, 0, 2, 16, 26, 13, 2, 1, 0, 0]);
    expect(at(m, 'reliability', 'avg_accuracy')).toBeCloseTo(0.5666666666666667, 12);
    expect(at(m, 'reliability', 'avg_confidence')).toBeCloseTo(0.44118336339791614, 12);
    expect(at(m, 'ece', 'mce')).toBeGreaterThan(0);
    expect(at(m, 'confusion-matrix', 'count')).toEqual([
      [2, 1, 0, 0, 0],
      [8, 21, 2, 2, 0],
      [0, 1, 1, 2, 0],
      [0, 0, 1, 5, 1],
      [1, 3, 1, 3, 5],
    ]);
    // A binary score against a string target with --positive: LR one-vs-rest; --classes renames.
    const lr = await fuseflowEval('--input', KNIGHT_CSV, '--pred', 'LR-score', '--target', 'task2_class', '--positive', 'LR', '--metrics', 'auc', '--json');
    expect(lr.code, lr.err).toBe(0);
    expect(at(parsed(lr), 'metrics', 'auc')).toBeCloseTo(0.8574635241301908, 12);
    const renamed = await fuseflowEval('--input', KNIGHT_CSV, '--pred', preds, '--target', 'task2_target', '--classes', '0,1,2,3,4', '--metrics', 'auc', '--json');
    expect(renamed.code, renamed.err).toBe(0);
    expect(at(parsed(renamed), 'metrics', 'auc', '4')).toBeCloseTo(0.723404255319149, 12);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^auc\.B\s+0\.8772$/m);
    expect(text.out).toMatch(/^auc\.macro_avg\s+0\.8078$/m);
    expect(text.out).toMatch(/60 rows from .*knight\.csv/);
  });

  it("reproduces FuseMedML's example_4 bootstrap CI exactly with --ci-resample fusemedml, and gives CIs for every metric", async () => {
    const fm = await fuseflow(...KNIGHT_TASK1_ARGS, '--metrics', 'auc', '--ci', '10000', '--seed', '1234', '--ci-resample', 'fusemedml', '--json');
    const state = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--metrics', 'auc,accuracy,confusion', '--ci', '500', '--seed', '7', '--id', 'id', '--json');
    expect(fm.code, fm.err).toBe(0);
    const ci = at(parsed(fm), 'metrics', 'auc');
    // Recomputed with numpy's RandomState(1234) stream (reference §B.5); FuseMedML asserts 0.845, 0.8456, 0.712, 0.954, 0.0622 to 3 places.
    expect(at(ci, 'org')).toBeCloseTo(0.845, 12);
    expect(at(ci, 'mean')).toBeCloseTo(0.845606875, 12);
    expect(at(ci, 'std')).toBeCloseTo(0.06216615072919004, 12);
    expect(at(ci, 'conf_interval')).toBe(95);
    expect(at(ci, 'conf_lower')).toBeCloseTo(0.7125, 12);
    expect(at(ci, 'conf_upper')).toBeCloseTo(0.95375, 12);
    expect(state.code, state.err).toBe(0);
    const m = at(parsed(state), 'metrics');
    for (const v of [at(m, 'auc'), at(m, 'accuracy'), at(m, 'confusion', 'sensitivity')]) {
      expect(keysOf(v)).toEqual(expect.arrayContaining(['org', 'mean', 'std', 'conf_interval', 'conf_lower', 'conf_upper']));
      expect(num(v, 'conf_lower')).toBeLessThanOrEqual(num(v, 'org'));
      expect(num(v, 'conf_upper')).toBeGreaterThanOrEqual(num(v, 'org'));
    }
    expect(at(m, 'auc', 'org')).toBeCloseTo(0.845, 12);
  });

  it('reports per fold and per group (FuseMedML example_2), listing groups where a metric is undefined', async () => {
    const r = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--metrics', 'auc,accuracy', '--fold', 'fold', '--group-by', 'task2_class', '--json');
    expect(r.code, r.err).toBe(0);
    const m = at(parsed(r), 'metrics');
    // Reference §B.3: fold0 159/189, fold1 175/209, mean = median 0.8392952077162603, population std 0.0019746335535809068.
    expect(at(m, 'auc_per_fold', '0')).toBeCloseTo(159 / 189, 12);
    expect(at(m, 'auc_per_fold', '1')).toBeCloseTo(175 / 209, 12);
    expect(at(m, 'auc_per_fold', 'mean')).toBeCloseTo(0.8392952077162603, 12);
    expect(at(m, 'auc_per_fold', 'median')).toBeCloseTo(0.8392952077162603, 12);
    expect(at(m, 'auc_per_fold', 'std')).toBeCloseTo(0.0019746335535809068, 12);
    // Each task-2 class holds one task-1 class only: AUC is undefined in every group.
    expect(at(m, 'auc_per_task2_class', 'failed_groups')).toEqual(['B', 'HR', 'IR', 'LR', 'VHR']);
    // Accuracy per task-2 class, by hand from the fixture (threshold 0.5 on CanAT-score).
    const scores = (knight['CanAT-score'] as string[]).map(Number);
    const t1 = (knight.task1_target as string[]).map(Number);
    for (const cls of ['B', 'LR', 'IR', 'HR', 'VHR']) {
      const rows = (knight.task2_class as string[]).flatMap((c, i) => (c === cls ? [i] : []));
      const correct = rows.filter((i) => ((scores[i] as number) > 0.5 ? 1 : 0) === t1[i]).length;
      expect(at(m, 'accuracy_per_task2_class', cls), cls).toBeCloseTo(correct / rows.length, 12);
    }
  });

  it('writes a self-contained HTML report with the ROC, PR, reliability and confusion plots', async () => {
    const report = join(dir, 'report.html');
    const r = await fuseflow(...KNIGHT_TASK1_ARGS, '--metrics', 'auc,aucpr', '--report', report, '--json');
    expect(r.code, r.err).toBe(0);
    expect(keysOf(at(parsed(r), 'metrics'))).toEqual(['auc', 'aucpr']);
    const html = readFileSync(report, 'utf8');
    for (const id of ['roc', 'pr', 'reliability', 'confusion']) expect(html).toContain(`data-plot="${id}"`);
    expect(html).toMatch(/class="mark-area role-mark/);
    expect(html).toContain('0.8450');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('leaves out report plots the input cannot give (regression targets), saying why, without failing the run', async () => {
    const report = join(dir, 'regression.html');
    const r = await fuseflowEval('--input', KNIGHT_CSV, '--pred', 'CanAT-score', '--target', 'task2_target', '--metrics', 'mae', '--report', report, '--json');
    expect(r.code, r.err).toBe(0);
    expect(keysOf(at(parsed(r), 'metrics'))).toEqual(['mae']);
    expect(r.err).toMatch(/report: plot left out — roc: .*target 2 is outside the class set \[0, 1\]/);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toContain('data-plot=');
    expect(html).toContain('<td>mae</td>');
  });

  it('exits non-zero with a clear message for bad input', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,p,y\na,0.1,0\nb,0.9\nc,0.5,1\n');
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'id,p,y\na,0.1,0\nb,0.9,1\na,0.5,1\n');
    const split = writeKnightSplit();
    const short = join(dir, 'short-targets.csv');
    writeFileSync(short, readFileSync(split.targets, 'utf8').split('\n').slice(0, 59).join('\n') + '\n');
    const runs: CliRun[] = [];
    // The first two as subprocesses (exit code and streams of the real command), the rest in-process.
    runs.push(await fuseflow('--input', bad, '--pred', 'p', '--target', 'y'));
    for (const args of [
      ['--input', dup, '--pred', 'p', '--target', 'y', '--id', 'id'],
      ['--input', KNIGHT_CSV, '--pred', 'nope', '--target', 'task1_target', '--metrics', 'auc'],
      [...KNIGHT_TASK1_ARGS, '--metrics', 'auc,wat'],
      ['--input', split.preds, '--input', short, '--pred', 'CanAT-score', '--target', 'Task1-target', '--id', 'id', '--metrics', 'auc'],
      ['--input', split.preds, '--input', short, '--pred', 'CanAT-score', '--target', 'Task1-target', '--id', 'id', '--metrics', 'auc', '--on-missing', 'skip', '--json'],
    ]) {
      runs.push(await fuseflowEval(...args));
    }
    runs.push(await fuseflow('--pred', 'p', '--target', 'y'));
    const [malformed, duplicate, noColumn, unknownMetric, missing, skipped, usage] = runs as [CliRun, CliRun, CliRun, CliRun, CliRun, CliRun, CliRun];
    expect(malformed.code).toBe(1);
    expect(malformed.err).toMatch(/bad\.csv:line 3: expected 3 fields, found 2/);
    expect(duplicate.code).toBe(1);
    expect(duplicate.err).toMatch(/duplicate id 'a' .*dup\.csv line 4/);
    expect(noColumn.code).toBe(1);
    expect(noColumn.err).toMatch(/key 'nope'.*column is missing/);
    expect(unknownMetric.code).toBe(1);
    expect(unknownMetric.err).toMatch(/unknown metric 'wat'; known: auc/);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/id 'case_0029\d' of source 'preds\.csv' .* is missing from 'short-targets\.csv'/);
    expect(skipped.code, skipped.err).toBe(0);
    expect(skipped.out.trim().split('\n')).toHaveLength(1);
    expect(skipped.err).toMatch(/join by id: 58 rows, 2 missing from short-targets\.csv, 2 rows skipped/);
    // Non-finite scores: an error naming file and line, or skipped and counted on request.
    const nan = join(dir, 'nan.csv');
    writeFileSync(nan, 'id,p,y\na,0.1,0\nb,nan,1\nc,0.7,1\nd,0.4,0\ne,inf,0\n');
    const nanError = await fuseflowEval('--input', nan, '--pred', 'p', '--target', 'y', '--metrics', 'auc');
    expect(nanError.code).toBe(1);
    expect(nanError.err).toMatch(/nan\.csv:line 3: .*score NaN is not a finite number/);
    const nanSkip = await fuseflowEval('--input', nan, '--pred', 'p', '--target', 'y', '--metrics', 'auc,accuracy', '--non-finite', 'skip', '--json');
    expect(nanSkip.code, nanSkip.err).toBe(0);
    expect(JSON.parse(nanSkip.out)).toEqual({ metrics: { auc: 1, accuracy: 1 } });
    expect(nanSkip.err).toMatch(/auc: 2 rows skipped \(non-finite scores\)/);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--input is required/);
    for (const r of runs) if (r !== skipped) expect(r.out).toBe('');
  });
});

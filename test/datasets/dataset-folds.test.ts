import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { datasetFolds } from '../../src/datasets/common/dataset-folds.js';
import { tempFolder } from '../temp-folder.js';

const { dir, write } = tempFolder('fuseflow-dataset-folds-test-');

// 8 cases: label × sex gives 4 strata of 2
const ids = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
const label = [0, 0, 0, 0, 1, 1, 1, 1];
const sex = ['m', 'm', 'f', 'f', 'm', 'm', 'f', 'f'];
const data = { ids, columns: { label, sex }, groups: ids };
const of = (col: readonly (string | number)[], fold: readonly string[]): string[] => fold.map((id) => String(col[ids.indexOf(id)])).sort();

describe('datasetFolds: a builder’s folds through the fold plans', () => {
  it('splits by seed, balanced by label by default, and by label and sex when asked (hand-derived: one of each stratum per fold)', () => {
    const byLabel = datasetFolds('b', { folds: 4, seed: 4 }, data);
    expect(byLabel.foldSource).toBe('seeded');
    expect(byLabel.foldPlan.balanceKeys).toEqual(['label']);
    expect(byLabel.folds.flat().sort()).toEqual(ids);
    for (const fold of byLabel.folds) expect(of(label, fold)).toEqual(['0', '1']);
    const both = datasetFolds('b', { folds: 2, seed: 4, balance: ['label', 'sex'] }, data);
    expect(both.foldPlan.balanceKeys).toEqual(['label', 'sex']);
    for (const fold of both.folds) expect(fold.map((id) => `${label[ids.indexOf(id)]}${sex[ids.indexOf(id)]}`).sort()).toEqual(['0f', '0m', '1f', '1m']);
    expect(datasetFolds('b', { folds: 2, seed: 4, balance: ['label', 'sex'] }, data).folds).toEqual(both.folds);
  });

  it('a fold file is written once, reloaded on the next build, and a relabelled case is refused naming it', () => {
    const foldFile = join(dir, 'folds.json');
    const first = datasetFolds('b', { folds: 2, seed: 1, balance: ['label', 'sex'], foldFile }, data);
    expect(first.foldSource).toBe('written');
    const text = readFileSync(foldFile, 'utf8');
    const again = datasetFolds('b', { folds: 2, seed: 1, balance: ['label', 'sex'], foldFile }, data);
    expect(again.foldSource).toBe('reloaded');
    expect(again.folds).toEqual(first.folds);
    expect(readFileSync(foldFile, 'utf8')).toBe(text);
    const relabelled = { ...data, columns: { label: label.map((l, i) => (i === 2 ? 1 : l)), sex } };
    const run = (): unknown => datasetFolds('b', { folds: 2, seed: 1, balance: ['label', 'sex'], foldFile }, relabelled);
    expect(run).toThrow(InputError);
    expect(run).toThrow(`${foldFile}: the data set changed since this fold file was written: 1 value changed (c2: label 0 → 1)`);
    expect(() => datasetFolds('b', { folds: 2, seed: 1, balance: ['label'], foldFile }, data)).toThrow(/balances on \[label, sex\], this run on \[label\]/);
  });

  it("reads FuseMedML's converted splits_final as given, checked against the ids", () => {
    const file = write('splits.json', JSON.stringify([0, 1].map((k) => ({ train: ids.filter((_, i) => i % 2 !== k), val: ids.filter((_, i) => i % 2 === k) }))));
    const given = datasetFolds('b', { foldFile: file }, data);
    expect(given.foldSource).toBe('given');
    expect(given.folds).toEqual([
      ['c0', 'c2', 'c4', 'c6'],
      ['c1', 'c3', 'c5', 'c7'],
    ]);
    expect(given.foldPlan.samples[4]).toEqual({ id: 'c4', fold: 0, group: 'c4', balance: { label: 1 } });
    expect(() => datasetFolds('b', { foldFile: file }, { ...data, ids: [...ids, 'c8'], columns: { label: [...label, 0], sex: [...sex, 'm'] }, groups: [...ids, 'c8'] })).toThrow(
      /splits\.json: 1 sample\(s\) of the data set are in no fold, e\.g\. 'c8'/,
    );
  });

  it('refuses bad fold options naming the builder', () => {
    expect(() => datasetFolds('knight', { folds: 1 }, data)).toThrow(new OptionsError("knight: option 'folds' must be an integer ≥ 2, got 1"));
    expect(() => datasetFolds('knight', { seed: 0.5 }, data)).toThrow(/knight: option 'seed' must be an integer/);
    expect(() => datasetFolds('knight', { balance: ['label', 'site' as 'sex'] }, data)).toThrow("knight: option 'balance' names 'site', expected some of label, sex");
    expect(() => datasetFolds('knight', { balance: ['sex', 'sex'] }, data)).toThrow(/names 'sex' twice/);
  });
});

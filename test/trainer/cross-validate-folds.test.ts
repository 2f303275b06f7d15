import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { splitFolds } from '../../src/streams/split-folds.js';
import { foldPlanChanges, foldPlanFile, readFoldPlan, readSplitLists, writeFoldPlan } from '../../src/trainer/cross-validate/fold-file.js';
import { fixedFoldPlan, foldIds, makeFoldPlan } from '../../src/trainer/cross-validate/fold-plan.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('ff-cv-folds-');

/** 20 patients, one sample each: label × site gives 4 strata of 5 samples. */
const ids = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
const label = ids.map((_, i) => (i % 2 === 0 ? 1 : 0));
const site = ids.map((_, i) => (i % 4 < 2 ? 'north' : 'south'));

const count = <T>(xs: readonly T[]): Record<string, number> => xs.reduce<Record<string, number>>((o, x) => ({ ...o, [String(x)]: (o[String(x)] ?? 0) + 1 }), {});

describe('makeFoldPlan: balance on several keys, grouping', () => {
  it('balances label and site at once: 4 strata of 5 over 5 folds → one of each stratum per fold (hand-derived)', () => {
    const plan = makeFoldPlan({ ids, balance: { label, site }, folds: 5, seed: 3 });
    const byId = new Map(ids.map((id, i) => [id, i]));
    for (const fold of foldIds(plan)) {
      expect(fold).toHaveLength(4);
      const at = fold.map((id) => byId.get(id) as number);
      expect(count(at.map((i) => label[i]))).toEqual({ 0: 2, 1: 2 });
      expect(count(at.map((i) => site[i]))).toEqual({ north: 2, south: 2 });
      expect(Object.keys(count(at.map((i) => `${label[i]}/${site[i]}`)))).toHaveLength(4);
    }
    // every sample records its values
    expect(plan.samples[2]).toEqual({ id: 'p02', fold: plan.samples[2]?.fold, group: null, balance: { label: 1, site: 'south' } });
  });

  it('with one balance key the folds are splitFolds(labels)', () => {
    const plan = makeFoldPlan({ ids, balance: { label }, folds: 4, seed: 11 });
    expect(foldIds(plan)).toEqual(splitFolds({ ids, labels: label, folds: 4, seed: 11 }));
  });

  it('never puts one patient in two folds, and balances the patients by label', () => {
    // 6 patients with 1–3 samples each; a patient's samples share its label
    const patients = ['A', 'A', 'B', 'C', 'C', 'C', 'D', 'E', 'E', 'F'];
    const sampleIds = patients.map((p, i) => `${p}-${i}`);
    const lab = patients.map((p) => (['A', 'C', 'E'].includes(p) ? 1 : 0));
    const plan = makeFoldPlan({ ids: sampleIds, balance: { label: lab }, groups: patients, folds: 3, seed: 5 });
    const foldOfPatient = new Map<string, number>();
    for (const s of plan.samples) {
      expect(foldOfPatient.get(s.group as string) ?? s.fold).toBe(s.fold);
      foldOfPatient.set(s.group as string, s.fold);
    }
    // 3 positive patients (A, C, E) and 3 negative (B, D, F) over 3 folds: one of each per fold
    for (let f = 0; f < 3; f++) {
      const here = [...foldOfPatient].filter(([, g]) => g === f).map(([p]) => p);
      expect(here.filter((p) => ['A', 'C', 'E'].includes(p))).toHaveLength(1);
      expect(here.filter((p) => ['B', 'D', 'F'].includes(p))).toHaveLength(1);
    }
  });

  it('refuses bad options', () => {
    expect(() => makeFoldPlan({ ids, folds: 1 })).toThrow(OptionsError);
    expect(() => makeFoldPlan({ ids, balance: { label: [1, 0] }, folds: 2 })).toThrow(/20 ids but 2 values of balance column 'label'/);
    expect(() => makeFoldPlan({ ids, balance: { label: ids.map(() => Number.NaN) }, folds: 2 })).toThrow(/sample 'p00' is NaN/);
    expect(() => makeFoldPlan({ ids: ['a', 'a'], folds: 2 })).toThrow(/'a' appears twice/);
  });
});

describe('fold files', () => {
  it('round trip: written plan reads back equal; the file is readable JSON, one sample a line', () => {
    const plan = makeFoldPlan({ ids, balance: { label, site }, groups: ids.map((id) => `patient-${id}`), folds: 5, seed: 2 });
    const path = join(dir, 'round-trip.json');
    writeFoldPlan(path, plan);
    expect(readFoldPlan(path)).toEqual(plan);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(plan);
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"id"')),
    ).toHaveLength(20);
    expect(() => writeFoldPlan(path, plan)).toThrow(OutputError);
  });

  it('foldPlanFile writes on the first run and reloads the same split on the next (even with another id order)', () => {
    const path = join(dir, 'kept.json');
    const first = foldPlanFile({ path, ids, balance: { label }, folds: 5, seed: 9 });
    expect(first.created).toBe(true);
    const rev = [...ids].reverse();
    const again = foldPlanFile({ path, ids: rev, balance: { label: [...label].reverse() }, folds: 5, seed: 9 });
    expect(again.created).toBe(false);
    expect(foldIds(again.plan)).toEqual(foldIds(first.plan));
  });

  it('a changed data set is refused, naming the ids added, removed and relabelled', () => {
    const path = join(dir, 'changed.json');
    foldPlanFile({ path, ids, balance: { label, site }, folds: 5, seed: 1 });
    const now = [...ids.filter((id) => id !== 'p07'), 'p20'];
    const nowLabel = now.map((id) => (id === 'p03' ? 1 : id === 'p20' ? 0 : (label[ids.indexOf(id)] as number)));
    const nowSite = now.map((id) => (id === 'p20' ? 'north' : (site[ids.indexOf(id)] as string)));
    const run = (): unknown => foldPlanFile({ path, ids: now, balance: { label: nowLabel, site: nowSite }, folds: 5, seed: 1 });
    expect(run).toThrow(InputError);
    expect(run).toThrow(`${path}: the data set changed since this fold file was written: 1 id added (p20); 1 id removed (p07); 1 value changed (p03: label 0 → 1)`);
    expect(foldPlanChanges(readFoldPlan(path), { ids: now, balance: { label: nowLabel, site: nowSite } })).toEqual({
      added: ['p20'],
      removed: ['p07'],
      changed: [{ id: 'p03', field: 'label', was: 0, now: 1 }],
    });
  });

  it('a patient moved to another group is a change too', () => {
    const path = join(dir, 'groups.json');
    const groups = ids.map((_, i) => `P${Math.floor(i / 2)}`);
    foldPlanFile({ path, ids, groups, folds: 2, seed: 1 });
    const moved = groups.map((g, i) => (i === 5 ? 'P9' : g));
    expect(() => foldPlanFile({ path, ids, groups: moved, folds: 2, seed: 1 })).toThrow(/1 value changed \(p05: group "P2" → "P9"\)/);
  });

  it('a file made with other options is refused (folds, seed, balance columns, grouping)', () => {
    const path = join(dir, 'options.json');
    foldPlanFile({ path, ids, balance: { label }, folds: 5, seed: 1 });
    expect(() => foldPlanFile({ path, ids, balance: { label }, folds: 4, seed: 1 })).toThrow(/has 5 folds, this run asks for 4/);
    expect(() => foldPlanFile({ path, ids, balance: { label }, folds: 5, seed: 2 })).toThrow(/seed 1, this run asks for seed 2/);
    expect(() => foldPlanFile({ path, ids, balance: { label, site }, folds: 5, seed: 1 })).toThrow(/balances on \[label\], this run on \[label, site\]/);
    expect(() => foldPlanFile({ path, ids, balance: { label }, groups: ids, folds: 5, seed: 1 })).toThrow(OptionsError);
  });

  it('a damaged fold file is refused naming the file and the field', () => {
    const plan = makeFoldPlan({ ids, balance: { label }, folds: 5, seed: 1 });
    const path = join(dir, 'damaged.json');
    const text = JSON.stringify(plan);
    writeFileSync(path, text.replace('"fold":0', '"fold":7'));
    expect(() => readFoldPlan(path)).toThrow(/fold 7 is not in 0…4/);
    writeFileSync(path, text.slice(0, 100));
    expect(() => readFoldPlan(path)).toThrow(InputError);
    expect(() => readFoldPlan(path)).toThrow(path);
    writeFileSync(path, text.replace('"format":"fuseflow-folds"', '"format":"other"'));
    expect(() => readFoldPlan(path)).toThrow(/"format" is "other"/);
    expect(existsSync(path)).toBe(true);
  });
});

describe('a split made elsewhere (FuseMedML splits_final, converted): a fixed plan', () => {
  const four = ['a', 'b', 'c', 'd'];
  const write = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  it('readSplitLists reads a list of folds and the {train, val} splits; refuses other shapes naming the file', () => {
    expect(
      readSplitLists(
        write('list.json', [
          ['a', 'c'],
          ['b', 'd'],
        ]),
      ),
    ).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    const splits = [
      { train: ['b', 'd'], val: ['a', 'c'] },
      { train: ['a', 'c'], val: ['b', 'd'] },
    ];
    expect(readSplitLists(write('splits.json', splits))).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    const bad = write('bad.json', '[["a"');
    expect(() => readSplitLists(bad)).toThrow(new RegExp(`^${bad}: cannot read the fold file`));
    expect(() => readSplitLists(write('shape.json', [{ train: ['a'] }]))).toThrow(/shape\.json: fold 0 must be a list of sample ids or an object with a 'val' list/);
    expect(() => readSplitLists(write('empty.json', []))).toThrow(/empty\.json: expected a non-empty JSON list of folds/);
    expect(() => readSplitLists(join(dir, 'absent.json'))).toThrow(/absent\.json: cannot read the fold file/);
  });

  it('fixedFoldPlan records the data with the given folds (seed null) and refuses lists that do not fit the ids or groups', () => {
    const plan = fixedFoldPlan({
      ids: four,
      lists: [
        ['c', 'a'],
        ['b', 'd'],
      ],
      balance: { label: [0, 1, 0, 1] },
      groups: ['P1', 'P2', 'P1', 'P3'],
    });
    expect(plan.seed).toBeNull();
    expect(plan.folds).toBe(2);
    expect(foldIds(plan)).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    expect(plan.samples[1]).toEqual({ id: 'b', fold: 1, group: 'P2', balance: { label: 1 } });
    const fixed = (lists: string[][], groups?: string[]): unknown => fixedFoldPlan({ ids: four, lists, file: 'f.json', ...(groups === undefined ? {} : { groups }) });
    expect(() =>
      fixed([
        ['a', 'b'],
        ['b', 'c', 'd'],
      ]),
    ).toThrow(/^f\.json: sample 'b' is in fold 0 and fold 1/);
    expect(() => fixed([['a', 'b'], ['c']])).toThrow(/1 sample\(s\) of the data set are in no fold, e\.g\. 'd'/);
    expect(() =>
      fixed([
        ['a', 'b'],
        ['c', 'd', 'e'],
      ]),
    ).toThrow(/fold 1 lists sample 'e', which is not in the data set/);
    expect(() => fixed([['a', 'b', 'c', 'd']])).toThrow(/at least 2 folds, found 1/);
    expect(() =>
      fixed(
        [
          ['a', 'b'],
          ['c', 'd'],
        ],
        ['P1', 'P2', 'P1', 'P3'],
      ),
    ).toThrow(InputError);
    expect(() =>
      fixed(
        [
          ['a', 'b'],
          ['c', 'd'],
        ],
        ['P1', 'P2', 'P1', 'P3'],
      ),
    ).toThrow(/group 'P1' is split over two folds: 'a' in fold 0, 'c' in fold 1/);
  });

  it('foldPlanFile uses a list file as given (folds and seed not used), never rewrites it, and a saved fixed plan reloads with change detection', () => {
    const path = write('fusemedml.json', [
      { train: ['b', 'd'], val: ['a', 'c'] },
      { train: ['a', 'c'], val: ['b', 'd'] },
    ]);
    const before = readFileSync(path, 'utf8');
    const r = foldPlanFile({ path, ids: four, balance: { label: [0, 1, 0, 1] }, folds: 5, seed: 3 });
    expect(r).toMatchObject({ created: false, fixed: true });
    expect(foldIds(r.plan)).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(() => foldPlanFile({ path, ids: [...four, 'e'], folds: 5 })).toThrow(/fusemedml\.json: 1 sample\(s\) of the data set are in no fold, e\.g\. 'e'/);
    // saved as a fuseflow fold file: reloaded whatever folds/seed, but a relabelled sample is refused
    const saved = join(dir, 'fixed-saved.json');
    writeFoldPlan(saved, r.plan);
    expect(foldIds(foldPlanFile({ path: saved, ids: four, balance: { label: [0, 1, 0, 1] }, folds: 3, seed: 8 }).plan)).toEqual(foldIds(r.plan));
    expect(() => foldPlanFile({ path: saved, ids: four, balance: { label: [0, 1, 1, 1] }, folds: 3 })).toThrow(/1 value changed \(c: label 0 → 1\)/);
  });
});

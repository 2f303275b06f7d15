import { describe, expect, it } from 'vitest';
import { readFoldsFile } from '../../src/datasets/common/folds-file.js';
import { makeFolds } from '../../src/datasets/common/make-folds.js';
import { tempFolder } from '../temp-folder.js';

const { write } = tempFolder('fuseflow-folds-file-test-');
const ids = ['a', 'b', 'c', 'd'];

describe('readFoldsFile / makeFolds', () => {
  it('reads a list of folds and the {train, val} splits of a converted splits_final.pkl', () => {
    expect(
      readFoldsFile(
        write(
          'list.json',
          JSON.stringify([
            ['a', 'c'],
            ['b', 'd'],
          ]),
        ),
        ids,
      ),
    ).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    const splits = JSON.stringify([
      { train: ['b', 'd'], val: ['a', 'c'] },
      { train: ['a', 'c'], val: ['b', 'd'] },
    ]);
    expect(makeFolds({ ids, labels: [0, 0, 1, 1], folds: 5, seed: 1, foldsFile: write('splits.json', splits) })).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
  });

  it('refuses a file that is not JSON of either shape, an id in two folds, and an id in no fold, naming the file', () => {
    const bad = write('bad.json', '[["a"');
    expect(() => readFoldsFile(bad, ids)).toThrow(new RegExp(`^${bad}: cannot read the folds file`));
    expect(() => readFoldsFile(write('shape.json', JSON.stringify([{ train: ['a'] }])), ids)).toThrow(/fold 0 must be a list of sample ids or an object with a 'val' list/);
    expect(() =>
      readFoldsFile(
        write(
          'twice.json',
          JSON.stringify([
            ['a', 'b'],
            ['b', 'c', 'd'],
          ]),
        ),
        ids,
      ),
    ).toThrow(/sample 'b' is in fold 0 and fold 1/);
    expect(() => readFoldsFile(write('short.json', JSON.stringify([['a', 'b'], ['c']])), ids)).toThrow(/1 sample\(s\) of the data set are in no fold, e\.g\. 'd'/);
    expect(() => readFoldsFile(write('missing.json', 'x').replace('missing', 'absent'), ids)).toThrow(/absent\.json: cannot read the folds file/);
  });

  it('splits by seed, balanced by label, when no file is given', () => {
    const f = makeFolds({ ids, labels: [0, 0, 1, 1], folds: 2, seed: 4 });
    expect(f.flat().sort()).toEqual(ids);
    for (const fold of f) expect(fold.map((id) => (id < 'c' ? 0 : 1)).sort()).toEqual([0, 1]);
    expect(() => makeFolds({ ids, labels: [0, 0, 1, 1], folds: 0, seed: 4 })).toThrow(/positive integer/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { readFeatureTable } from '../../src/trainer/feature-table.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-feature-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFeatureTable', () => {
  it('reads finite features and labels in file order (hand-checked values)', () => {
    const path = join(dir, 'ok.csv');
    writeFileSync(path, 'id,a,b,y\nr0,1,-2.5e1,no\nr1, .5 ,3,yes\n');
    const t = readFeatureTable(path, { target: 'y', idColumn: 'id' });
    expect(t.features).toEqual(['a', 'b']);
    expect(t.ids).toEqual(['r0', 'r1']);
    expect(t.x.map((r) => Array.from(r))).toEqual([
      [1, -25],
      [0.5, 3],
    ]);
    expect(t.labels).toEqual(['no', 'yes']);
  });

  it('an Arrow NaN or Inf feature → InputError naming file, column, row and id', () => {
    for (const [bad, why] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      const path = join(dir, `t-${why}.arrow`);
      writeFileSync(path, tableToIPC(tableFromArrays({ a: Float64Array.from([1, 2, bad]), y: Int32Array.from([0, 1, 0]) }), 'file'));
      expect(() => readFeatureTable(path, { target: 'y' })).toThrow(InputError);
      expect(() => readFeatureTable(path, { target: 'y' })).toThrow(`${path}: column 'a', row 3 (id '2'): '${why}' is not a finite number`);
    }
  });

  it('an explicit feature list leaves other (text) columns alone', () => {
    const path = join(dir, 'text.csv');
    writeFileSync(path, 'name,a,y\nann,1,0\nbob,2,1\n');
    expect(() => readFeatureTable(path, { target: 'y' })).toThrow(`${path}:line 2: column 'name', row 1 (id '0'): 'ann' is not a number`);
    expect(readFeatureTable(path, { target: 'y', features: ['a'] }).x.map((r) => r[0])).toEqual([1, 2]);
  });
});

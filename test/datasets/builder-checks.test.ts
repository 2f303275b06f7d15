import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { caseFolders, checkSizes, chooseIds } from '../../src/datasets/common/builder-checks.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-builder-checks-test-');

describe('the checks the builders share', () => {
  it('checkSizes accepts n positive (integer) numbers and names the builder, option and axes otherwise', () => {
    expect(() => checkSizes('knight', 'spacing', [1.6, 1.6, 4], ['x', 'y', 'z'], false)).not.toThrow();
    expect(() => checkSizes('knight', 'size', [8, 8, 0.5], ['x', 'y', 'z'], true)).toThrow(
      new OptionsError("knight: option 'size' must be 3 positive integers (x, y, z), got [8,8,0.5]"),
    );
    expect(() => checkSizes('isic', 'size', [300], ['width', 'height'], true)).toThrow("isic: option 'size' must be 2 positive integers (width, height), got [300]");
    expect(() => checkSizes('kits21', 'spacing', [1, -1, 1], ['x', 'y', 'z'], false)).toThrow(/3 positive numbers/);
    expect(() => checkSizes('kits21', 'spacing', 'big', ['x'], false)).toThrow(/got "big"/);
  });

  it('caseFolders lists only case_XXXXX folders; chooseIds keeps the asked order, else sorts the found ids that have a record', () => {
    for (const d of ['case_00002', 'case_00000', 'case_00001', 'notes', 'case_x']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'case_00009'), ''); // a file, not a folder
    expect(caseFolders(dir).sort()).toEqual(['case_00000', 'case_00001', 'case_00002']);
    const known = new Set(['case_00000', 'case_00002', 'case_00007']);
    const none = (): InputError => new InputError('no cases found', { file: dir });
    expect(chooseIds({ builder: 'b', asked: undefined, found: caseFolders(dir), known, noun: 'a case', none })).toEqual(['case_00000', 'case_00002']);
    expect(chooseIds({ builder: 'b', asked: ['case_00002', 'case_00000'], found: [], known, noun: 'a case', none })).toEqual(['case_00002', 'case_00000']);
    expect(() => chooseIds({ builder: 'b', asked: undefined, found: ['case_00001'], known, noun: 'a case', none })).toThrow(`${dir}: no cases found`);
    expect(() => chooseIds({ builder: 'isic', asked: ['x', 'x'], found: [], known, noun: 'an image', none })).toThrow(new OptionsError('isic: option ids lists an image twice'));
  });
});

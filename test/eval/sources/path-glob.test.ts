/**
 * expandInput: plain paths, folders and quoted globs (* ? [..] [!..] **) expand to the files they
 * name in sorted path order; an empty match and a folder without prediction files are errors
 * naming the argument.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { expandInput, isGlob } from '../../../src/eval/sources/path-glob.js';
import { tempFolder } from '../../temp-folder.js';

const { dir, write } = tempFolder('fuseflow-path-glob-');
for (const d of ['preds', 'preds/sub', 'preds/sub/deeper', 'empty']) mkdirSync(join(dir, d), { recursive: true });
for (const f of [
  'preds/b.arrow',
  'preds/a.arrow',
  'preds/a1.arrow',
  'preds/c.csv',
  'preds/.hidden.arrow',
  'preds/notes.txt',
  'preds/sub/d.arrow',
  'preds/sub/deeper/e.arrow',
  'empty/readme.md',
])
  write(f, '');

describe('expandInput', () => {
  const p = (...names: string[]): string[] => names.map((n) => join(dir, n));

  it('a glob on the last part: * and ? in sorted order, hidden files left out', () => {
    expect(expandInput(`${dir}/preds/*.arrow`)).toEqual(p('preds/a.arrow', 'preds/a1.arrow', 'preds/b.arrow'));
    expect(expandInput(`${dir}/preds/a?.arrow`)).toEqual(p('preds/a1.arrow'));
    expect(expandInput(`${dir}/preds/.*.arrow`)).toEqual(p('preds/.hidden.arrow'));
  });

  it('character classes, negated classes, ** across folders and globs on folder parts', () => {
    expect(expandInput(`${dir}/preds/[ab].arrow`)).toEqual(p('preds/a.arrow', 'preds/b.arrow'));
    expect(expandInput(`${dir}/preds/[!a]*`)).toEqual(p('preds/b.arrow', 'preds/c.csv', 'preds/notes.txt'));
    expect(expandInput(`${dir}/preds/**/*.arrow`)).toEqual(p('preds/a.arrow', 'preds/a1.arrow', 'preds/b.arrow', 'preds/sub/d.arrow', 'preds/sub/deeper/e.arrow'));
    expect(expandInput(`${dir}/pr*/s?b/*.arrow`)).toEqual(p('preds/sub/d.arrow'));
  });

  it('a folder is its prediction files (not .txt, not subfolders); a plain path is itself, even when missing', () => {
    expect(expandInput(join(dir, 'preds'))).toEqual(p('preds/a.arrow', 'preds/a1.arrow', 'preds/b.arrow', 'preds/c.csv'));
    expect(expandInput(join(dir, 'preds/b.arrow'))).toEqual(p('preds/b.arrow'));
    expect(expandInput(join(dir, 'missing.arrow'))).toEqual(p('missing.arrow'));
  });

  it('an empty match and a folder without prediction files are InputErrors naming the argument', () => {
    expect(() => expandInput(`${dir}/preds/*.parquet`)).toThrow(InputError);
    expect(() => expandInput(`${dir}/preds/*.parquet`)).toThrow(`${dir}/preds/*.parquet: no file matches the pattern`);
    expect(() => expandInput(join(dir, 'empty'))).toThrow(`${join(dir, 'empty')}: folder holds no prediction file`);
  });

  it('relative patterns stay relative', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(expandInput('preds/*.csv')).toEqual(['preds/c.csv']);
      expect(expandInput('*/sub/*.arrow')).toEqual(['preds/sub/d.arrow']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('isGlob', () => {
    expect([isGlob('a/*.arrow'), isGlob('a?'), isGlob('[ab]'), isGlob('plain.csv')]).toEqual([true, true, true, false]);
  });
});

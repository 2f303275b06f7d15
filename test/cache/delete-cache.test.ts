import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_FILES, deleteCacheFolder, openSampleCache } from '../../src/cache/index.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { makeVolume } from './test-ops.js';
import { tempDirs } from '../temp-dirs.js';

const tmp = tempDirs({ prefix: 'ff-del-' });

async function filled(root: string): Promise<string> {
  const c = openSampleCache({ dir: root, pipeline: pipeline([makeVolume({ key: 'img' })], { name: 'static' }), audit: false });
  await c.fill(['a', 'b'], { threads: 0 });
  await c.close();
  return c.folder;
}

describe('deleteCacheFolder', () => {
  it("refuses a folder that merely holds files named like a cache's (issue 9 item 4: thesis.tex survives)", () => {
    const dir = tmp();
    for (const f of [CACHE_FILES.pipeline, CACHE_FILES.store, 'thesis.tex']) writeFileSync(join(dir, f), 'mine');
    expect(() => deleteCacheFolder(dir)).toThrow(InputError);
    expect(() => deleteCacheFolder(dir)).toThrow(/no cache marker.*delete those by hand/);
    expect(readdirSync(dir).sort()).toEqual([CACHE_FILES.store, 'pipeline.json', 'thesis.tex'].sort());
  });

  it('removes exactly the files the marker lists, then the empty folder', async () => {
    const folder = await filled(tmp());
    const r = deleteCacheFolder(folder);
    expect([...r.removed].sort()).toEqual(
      [CACHE_FILES.marker, CACHE_FILES.store, `${CACHE_FILES.store}-lock`, CACHE_FILES.manifest, `${CACHE_FILES.manifest}.sha256`, CACHE_FILES.pipeline].sort(),
    );
    expect(r.folderRemoved).toBe(true);
    expect(existsSync(folder)).toBe(false);
  });

  it('keeps files the cache did not make (and the folder holding them), folders included', async () => {
    const folder = await filled(tmp());
    writeFileSync(join(folder, 'thesis.tex'), 'mine');
    mkdirSync(join(folder, 'notes'));
    writeFileSync(join(folder, 'notes', 'n.txt'), 'mine');
    const r = deleteCacheFolder(folder);
    expect(r.folderRemoved).toBe(false);
    expect(r.kept).toEqual(['notes', 'thesis.tex']);
    expect(readdirSync(folder).sort()).toEqual(['notes', 'thesis.tex']);
  });

  it('refuses a marker that lists a path outside the folder, and a damaged marker', async () => {
    const root = tmp();
    const folder = await filled(root);
    writeFileSync(join(root, 'precious'), 'mine');
    writeFileSync(join(folder, CACHE_FILES.marker), JSON.stringify({ kind: 'fuseflow-cache', key: 'k', files: ['../precious'] }));
    expect(() => deleteCacheFolder(folder)).toThrow(/not a fuseflow cache marker/);
    writeFileSync(join(folder, CACHE_FILES.marker), '{"kind": "fuseflow-cache", "ke');
    expect(() => deleteCacheFolder(folder)).toThrow(/not valid JSON/);
    expect(existsSync(join(root, 'precious'))).toBe(true);
    expect(existsSync(join(folder, CACHE_FILES.store))).toBe(true);
  });

  it('refuses the root, the home folder, the working folder, a symlink, a dangling symlink and a missing folder', async () => {
    const root = tmp();
    const folder = await filled(root);
    symlinkSync(folder, join(root, 'link'));
    symlinkSync(join(root, 'gone'), join(root, 'dangling'));
    const cases: [string, RegExp][] = [
      ['/', /file-system root/],
      [homedir(), /home folder/],
      ['.', /working folder/],
      [process.cwd(), /working folder/],
      [join(root, 'link'), /symbolic link/],
      [join(root, 'dangling'), /symbolic link/],
      [join(root, 'missing'), /no such folder/],
    ];
    for (const [dir, why] of cases) {
      const err = (() => {
        try {
          deleteCacheFolder(dir);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, dir).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(why);
    }
    expect(existsSync(join(folder, CACHE_FILES.store))).toBe(true);
  });
});

/**
 * Fuzz: a small real cache folder (three ids: one kept, one dropped, one split in two) whose
 * files — `cache.mdb`, `manifest.arrow`, the marker and `pipeline.json` — are cut at a random byte
 * or have one random bit flipped.
 *
 * The property, stated honestly:
 * - `cache.mdb`: reading every id (plus status and verify) gives, per id, exactly the undamaged
 *   outputs or "not cached" (a damaged B-tree key makes the entry unfindable: the caller
 *   recomputes, no wrong data is served), or the whole read throws an InputError naming the
 *   folder. These cases run in a child process, so a crash of LMDB's native code would be seen
 *   as a signal and fail the test instead of taking the runner down.
 * - `manifest.arrow`: readManifest returns exactly the undamaged table or throws an InputError
 *   naming the file (the SHA-256 beside it is checked before Arrow parses the bytes: some damaged
 *   Arrow files make apache-arrow's reader loop forever).
 * - `pipeline.json`: opening the folder and reading every id gives exactly the undamaged outputs,
 *   or an InputError naming the file (its spec and salt must still give its key).
 * - the marker: `deleteCacheFolder` either refuses with an InputError naming the marker (removing
 *   nothing) or removes only files the cache made — a file of the user's beside them survives.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_FILES, CACHE_MADE_FILES, deleteCacheFolder, openSampleCache, readManifest } from '../../src/cache/index.js';
import { InputError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { readAll, type ReadOutcome } from '../cache/read-child.js';
import { readInChild } from '../cache/read-in-child.js';
import { makeVolume, morph, scale } from '../cache/test-ops.js';
import { FUZZ_SEED, FuzzTally, applyDamage, damageOf, exactOrInputError, fuzzParams, fuzzRuns, type Damage } from './fuzz-kit.js';

const IDS = ['a', 'drop me', 'split/me'];
const root = mkdtempSync(join(tmpdir(), 'fuseflow-fuzz-cache-'));
let folder: string;
let expected: ReadOutcome;
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const p = pipeline([makeVolume({ key: 'img', size: 6 }), scale({ key: 'img', factor: 3 }), morph({ drop: ['drop me'], split: ['split/me'] })], { name: 'static' });
  const c = openSampleCache({ dir: join(root, 'src'), pipeline: p, audit: false });
  await c.fill(IDS, { threads: 0 });
  await c.close();
  folder = c.folder;
  expected = await readAll(folder, IDS);
  expect('ok' in expected && expected.ok.every((x) => x !== null)).toBe(true);
});

/** A copy of the cache folder with `file` replaced by `bytes` (LMDB's lock file left out). */
function damagedCopy(file: string, bytes: Uint8Array): string {
  const f = join(root, `case-${counter++}`);
  cpSync(folder, f, { recursive: true });
  rmSync(join(f, `${CACHE_FILES.store}-lock`), { force: true });
  writeFileSync(join(f, file), bytes);
  return f;
}

const columnsOf = (t: ReturnType<typeof readManifest>): Record<string, unknown[]> =>
  Object.fromEntries(
    t.schema.fields.map((fd) => [
      fd.name,
      [...(t.getChild(fd.name) ?? [])].map((v: unknown) => (v !== null && typeof v === 'object' && 'toArray' in v ? [...(v as { toArray(): Iterable<unknown> }).toArray()] : v)),
    ]),
  );

describe('fuzz: damaged cache folder', () => {
  it('cache.mdb cut or bit-flipped: exact outputs per id, a miss, or an InputError naming the folder; never a crash (child process)', () => {
    const good = readFileSync(join(folder, CACHE_FILES.store));
    const damages: Damage[] = fc.sample(damageOf(good.length), { seed: FUZZ_SEED, numRuns: fuzzRuns(60) });
    const folders = damages.map((d) => damagedCopy(CACHE_FILES.store, applyDamage(good, d)));
    const outcomes = readInChild(folders, { ids: IDS, timeoutMs: 120_000 });
    expect(outcomes).toHaveLength(damages.length);
    const tally = new FuzzTally('cache.mdb (child process)');
    let misses = 0;
    outcomes.forEach((o, i) => {
      const what = JSON.stringify(damages[i]);
      if ('error' in o) {
        expect(o.error, `${what}: ${o.message}`).toBe('InputError');
        expect(o.message, what).toContain(folders[i]);
        tally.refused++;
        return;
      }
      const want = (expected as { ok: readonly (string | null)[] }).ok;
      o.ok.forEach((fp, k) => {
        if (fp === null) misses++;
        else expect(fp, `${what}: id ${IDS[k]}`).toBe(want[k]);
      });
      tally.exact++;
    });
    tally.report();
    console.log(`fuzz cache.mdb: ${misses} id reads came back "not cached" (a damaged key; the caller recomputes)`);
  });

  it('manifest.arrow cut or bit-flipped: the exact table or an InputError naming it', async () => {
    const path = join(folder, CACHE_FILES.manifest);
    const good = readFileSync(path);
    const want = columnsOf(readManifest(path));
    const tally = new FuzzTally('manifest.arrow');
    const dir = mkdtempSync(join(root, 'manifest-'));
    const file = join(dir, CACHE_FILES.manifest);
    cpSync(`${path}.sha256`, `${file}.sha256`);
    await fc.assert(
      fc.asyncProperty(damageOf(good.length), async (d) => {
        writeFileSync(file, applyDamage(good, d));
        await exactOrInputError(tally, file, want, () => columnsOf(readManifest(file)));
      }),
      fuzzParams(150),
    );
    tally.report();
  });

  it('pipeline.json cut or bit-flipped: every id read exactly, or an InputError naming the file', async () => {
    const good = readFileSync(join(folder, CACHE_FILES.pipeline));
    const tally = new FuzzTally('pipeline.json');
    await fc.assert(
      fc.asyncProperty(damageOf(good.length), async (d) => {
        const f = damagedCopy(CACHE_FILES.pipeline, applyDamage(good, d));
        const file = join(f, CACHE_FILES.pipeline);
        await exactOrInputError(tally, file, { folder: f, ok: (expected as { ok: readonly (string | null)[] }).ok }, async () => {
          const o = await readAll(f, IDS);
          if ('error' in o) throw o.error === 'InputError' ? new InputError(o.message) : new Error(`${o.error}: ${o.message}`);
          return o;
        });
        rmSync(f, { recursive: true, force: true });
      }),
      fuzzParams(40),
    );
    tally.report();
  });

  it('marker cut or bit-flipped: delete refuses (InputError naming the marker) or removes only files the cache made', () => {
    const good = readFileSync(join(folder, CACHE_FILES.marker));
    const made = new Set<string>([...CACHE_MADE_FILES, CACHE_FILES.marker]);
    const tally = new FuzzTally('marker (delete)');
    fc.assert(
      fc.property(damageOf(good.length), (d) => {
        const f = damagedCopy(CACHE_FILES.marker, applyDamage(good, d));
        writeFileSync(join(f, 'thesis.tex'), 'mine');
        writeFileSync(join(root, 'beside.txt'), 'mine');
        try {
          const r = deleteCacheFolder(f);
          for (const name of r.removed) expect(made.has(name), name).toBe(true);
          tally.exact++;
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          expect((err as Error).message).toContain(join(f, CACHE_FILES.marker));
          expect(existsSync(join(f, CACHE_FILES.store))).toBe(true);
          tally.refused++;
        }
        expect(readFileSync(join(f, 'thesis.tex'), 'utf8')).toBe('mine');
        expect(existsSync(join(root, 'beside.txt'))).toBe(true);
        rmSync(f, { recursive: true, force: true });
      }),
      fuzzParams(60),
    );
    tally.report();
  });
});

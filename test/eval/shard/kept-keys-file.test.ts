/**
 * The kept-keys file (kept-keys-file.ts, kept-keys-reader.ts): grouped keys written and read back bin by bin equal the
 * keys written (segments spanning blocks and 1-MiB reads, two entries sharing keys, an empty
 * entry); a read touches only the blocks of the bins asked for; a file that is not the one
 * recorded (size, checksum, magic) and a damaged block are refused naming the file; someone
 * else's file at the target is refused unless overwrite.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { KEPT_KEYS_BLOCK_BYTES, writeKeptKeysFile, type GroupedKeys } from '../../../src/eval/shard/kept-keys-file.js';
import { KeptKeysFile } from '../../../src/eval/shard/kept-keys-reader.js';
import { tempFolder } from '../../temp-folder.js';

const { dir } = tempFolder('fuseflow-kept-keys-file-');

/** Keys of `bins` bins (both labels, some classes absent), `rows` in all, grouped by class; seeded. */
function grouped(metric: string, bins: number, rows: number, seed: string): GroupedKeys {
  const rng = Rng.fromParts([2026, seed]);
  const counts = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    // Skewed: low bins hold most rows, so segments range from one key to many blocks.
    const b = Math.floor(bins * (rng.nextU32() / 2 ** 32) ** 3);
    const c = 2 * (100 + b) + (rng.nextU32() & 1);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const classes = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const ends = new Uint32Array(classes.length);
  let at = 0;
  classes.forEach((c, j) => {
    at += counts.get(c) as number;
    ends[j] = at;
  });
  const keys = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) keys[i] = rng.nextU32() & 0xffff;
  return { metric, path: '', classes, ends, keys };
}

/** The keys of `g`'s classes of `bins` (both labels), classes ascending: what a read must give. */
function expected(g: GroupedKeys, bins: readonly number[]): { classes: number[]; keys: number[] } {
  const want = new Set(bins.flatMap((b) => [2 * b, 2 * b + 1]));
  const classes: number[] = [];
  const keys: number[] = [];
  g.classes.forEach((c, j) => {
    if (!want.has(c)) return;
    classes.push(c);
    keys.push(...g.keys.subarray(j === 0 ? 0 : g.ends[j - 1], g.ends[j]));
  });
  return { classes, keys };
}

describe('kept-keys file', () => {
  const a = grouped('auc', 3000, 700_000, 'a');
  const b = { ...a, metric: 'aucpr' };
  const c = grouped('pauc', 40, 5_000, 'c');
  const empty: GroupedKeys = { metric: 'other', path: '/inner/0', classes: new Int32Array(0), ends: new Uint32Array(0), keys: new Uint16Array(0) };
  const file = join(dir, 's.state.keys');
  const ref = writeKeptKeysFile(file, [a, b, c, empty], false);

  it('reads back the keys of any set of bins, touching only their blocks; twins stored once', () => {
    // a's keys once (b shares them), c's, the index of four entries and the block digests.
    expect(ref.bytes).toBeLessThan(2 * (700_000 + 5_000) + 8 * (2 * a.classes.length + c.classes.length) + 2000 + 32 * 30);
    const opened = new KeptKeysFile(file, ref, 's.state');
    expect(opened.entries.map((e) => [e.metric, e.path, e.rows])).toEqual([
      ['auc', '', 700_000],
      ['aucpr', '', 700_000],
      ['pauc', '', 5_000],
      ['other', '/inner/0', 0],
    ]);
    const rng = Rng.fromParts([2026, 'bins']);
    const sets = [
      [100],
      [100, 101, 102],
      Array.from({ length: 3000 }, (_, i) => 100 + i),
      [3099, 2000, 150, 7],
      Array.from({ length: 200 }, () => 100 + Math.floor((rng.nextU32() / 2 ** 32) * 3000)),
    ];
    for (const bins of sets) {
      for (const [k, g] of [
        [0, a],
        [1, b],
        [2, c],
        [3, empty],
      ] as const) {
        const run = opened.read(opened.entries[k] as never, Int32Array.from(bins));
        const want = expected(g, bins);
        expect(Array.from(run.classes)).toEqual(want.classes);
        expect(run.ends[run.ends.length - 1] ?? 0).toBe(want.keys.length);
        expect(Buffer.from(run.keys.buffer).equals(Buffer.from(Uint16Array.from(want.keys).buffer))).toBe(true);
      }
    }
    // One bin of c: one block read, not the file.
    const before = opened.bytesRead;
    opened.read(opened.entries[2] as never, Int32Array.of((c.classes[0] as number) >> 1));
    expect(opened.bytesRead - before).toBeLessThanOrEqual(2 * KEPT_KEYS_BLOCK_BYTES);
    opened.checkAll();
  });

  it('refuses a file that is not the one recorded, and a damaged block when read, naming the file', () => {
    const good = readFileSync(file);
    const why = new RegExp(`^${file}: not the kept-keys file s.state recorded`);
    try {
      expect(() => new KeptKeysFile(file, { ...ref, bytes: ref.bytes + 1 }, 's.state')).toThrow(why);
      expect(() => new KeptKeysFile(file, { ...ref, sha256: '0'.repeat(64) }, 's.state')).toThrow(/checksum mismatch/);
      writeFileSync(file, Buffer.concat([Buffer.from('FFKEYS00'), good.subarray(8)]));
      expect(() => new KeptKeysFile(file, ref, 's.state')).toThrow(/does not start with FFKEYS01/);
      const damaged = Buffer.from(good);
      damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0xff;
      writeFileSync(file, damaged);
      const opened = new KeptKeysFile(file, ref, 's.state');
      expect(() => opened.checkAll()).toThrow(new RegExp(`^${file}: .*block \\d+ of its keys fails its checksum`));
    } finally {
      writeFileSync(file, good);
    }
  });

  it("refuses someone else's file at the target unless overwrite; replaces a kept-keys file", () => {
    const other = join(dir, 'other.keys');
    writeFileSync(other, 'mine\n');
    expect(() => writeKeptKeysFile(other, [c], false)).toThrow(
      `${other}: already exists; refusing to overwrite it (choose another path, or remove it yourself) (the kept-keys file of the state file beside it)`,
    );
    expect(readFileSync(other, 'utf8')).toBe('mine\n');
    const first = writeKeptKeysFile(other, [c], true);
    expect(writeKeptKeysFile(other, [c], false)).toEqual(first);
  });
});

/**
 * `fuseflow eval --id ID --shard i/N --state-out FILE` + `fuseflow eval merge` with a sample id
 * that two shards both read: one `fuseflow eval` over all inputs refuses a duplicate id, so the
 * merge must too (before: each shard saw only its share, both counted the row and merge printed
 * results with exit 0). Each shard writes a sorted file of id digests beside its state; merge
 * merges those files and, on an equal pair, names the id, both input files and rows and both
 * shards. A duplicate inside one shard's share fails that shard as one process fails.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { readStateFile } from '../../src/eval/shard/state-file.js';
import { tempFolder } from '../temp-folder.js';
import { fuseflowEval } from './run-cli.js';

const { dir } = tempFolder('fuseflow-eval-shard-ids-');
const FILES = 8;
const ROWS = 600;

/** Writes FILES Arrow files `name/part-0k.arrow` of ROWS rows each; `idOf(file, row)` names the ids. */
function writeSet(name: string, idOf: (file: number, row: number) => string): string {
  const folder = join(dir, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const rng = Rng.fromParts([17, 'eval-shard-ids']);
  for (let f = 0; f < FILES; f++) {
    const target = new Int8Array(ROWS);
    const pred = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      target[i] = rng.next() < 0.4 ? 1 : 0;
      pred[i] = Math.min(1, Math.max(0, 0.4 + (target[i] === 1 ? 0.15 : -0.1) + 0.5 * (rng.next() - 0.5)));
    }
    const ids = vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => idOf(f, i)),
      new Utf8(),
    );
    const writer = new RecordBatchFileWriter();
    // Two record batches per file: rows keep their file-wide row number in messages.
    for (const rb of new Table({ id: ids, pred: vectorFromArray(pred), target: vectorFromArray(target) }).slice(0, ROWS / 2).batches) writer.write(rb);
    for (const rb of new Table({ id: ids, pred: vectorFromArray(pred), target: vectorFromArray(target) }).slice(ROWS / 2).batches) writer.write(rb);
    writer.finish();
    writeFileSync(join(folder, `part-0${f}.arrow`), writer.toUint8Array(true));
  }
  return folder;
}

const unique = (f: number, i: number): string => `case-${f * ROWS + i}`;
let clean: string;
let across: string;
let within: string;

/** Runs the 4 shards of `args`; returns their exit codes, stderr and state files. */
async function shards(args: readonly string[], prefix: string): Promise<{ codes: number[]; errs: string[]; files: string[] }> {
  const codes: number[] = [];
  const errs: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const file = join(dir, `${prefix}-${i}.state`);
    const r = await fuseflowEval(...args, '--shard', `${i}/4`, '--state-out', file);
    codes.push(r.code);
    errs.push(r.err);
    files.push(file);
  }
  return { codes, errs, files };
}

const argsOf = (folder: string, extra: readonly string[] = []): string[] => [
  '--input',
  `${folder}/*.arrow`,
  '--id',
  'id',
  '--pred',
  'pred',
  '--target',
  'target',
  '--no-progress',
  ...extra,
];

beforeAll(() => {
  clean = writeSet('clean', unique);
  // File 6 (shard 3 of 4: files 6 and 7) row 417 repeats the id of file 1 (shard 0: files 0 and 1) row 5.
  across = writeSet('across', (f, i) => (f === 6 && i === 417 ? unique(1, 5) : unique(f, i)));
  // Files 4 and 5 are both shard 2's: file 5 row 9 repeats file 4 row 300.
  within = writeSet('within', (f, i) => (f === 5 && i === 9 ? unique(4, 300) : unique(f, i)));
});

describe('fuseflow eval map/merge with --id: an id in two shards', () => {
  it('merge refuses an id that two shards read (exit 1, naming the id, both files and rows, both shards), as one process refuses it', async () => {
    const one = await fuseflowEval(...argsOf(across), '--json');
    expect(one.code).toBe(1);
    expect(one.err).toContain(`duplicate id '${unique(1, 5)}'`);
    const s = await shards(argsOf(across), 'across');
    expect(s.codes).toEqual([0, 0, 0, 0]);
    const r = await fuseflowEval('merge', ...s.files, '--json', '--no-progress');
    expect(r.out).toBe('');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`duplicate id '${unique(1, 5)}'`);
    expect(r.err).toContain(`${join(across, 'part-01.arrow')} row 5`);
    expect(r.err).toContain(`${join(across, 'part-06.arrow')} row 417`);
    expect(r.err).toContain('shard 0/4');
    expect(r.err).toContain('shard 3/4');
    // Whatever the order of the state files.
    const reversed = await fuseflowEval('merge', ...[...s.files].reverse(), '--json', '--no-progress');
    expect(reversed.code).toBe(1);
    expect(reversed.err).toContain(`duplicate id '${unique(1, 5)}'`);
  });

  it('no duplicate: merged JSON = one process JSON; each shard records its digest file (count = its rows)', async () => {
    const one = await fuseflowEval(...argsOf(clean), '--json');
    expect(one.code).toBe(0);
    const s = await shards(argsOf(clean), 'clean');
    expect(s.codes).toEqual([0, 0, 0, 0]);
    for (const f of s.files) {
      const { header } = readStateFile(f);
      const ids = (header as unknown as { ids?: { file: string; count: number } }).ids;
      expect(ids?.count).toBe(2 * ROWS);
      expect(existsSync(join(dir, ids?.file ?? 'none'))).toBe(true);
    }
    const r = await fuseflowEval('merge', ...[...s.files].reverse(), '--json', '--no-progress');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(one.out);
  });

  it('a duplicate inside one shard fails that shard as one process fails; the other shards pass', async () => {
    const one = await fuseflowEval(...argsOf(within), '--json');
    expect(one.code).toBe(1);
    const message = `duplicate id '${unique(4, 300)}'`;
    expect(one.err).toContain(message);
    const s = await shards(argsOf(within), 'within');
    expect(s.codes).toEqual([0, 0, 1, 0]);
    expect(s.errs[2]).toContain(message);
    expect(s.errs[2]).toContain(`${join(within, 'part-05.arrow')} row 9`);
    expect(existsSync(s.files[2] as string)).toBe(false);
  });

  it('a missing or damaged digest file is an error naming it', async () => {
    const s = await shards(argsOf(clean), 'damage');
    const digestOf = (state: string): string => join(dir, (readStateFile(state).header as unknown as { ids: { file: string } }).ids.file);
    const d1 = digestOf(s.files[1] as string);
    const bytes = readFileSync(d1);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0x01;
    writeFileSync(d1, flipped);
    let r = await fuseflowEval('merge', ...s.files, '--json', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.err).toContain(d1);
    expect(r.err).toMatch(/damaged|checksum/);
    rmSync(d1);
    r = await fuseflowEval('merge', ...s.files, '--json', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.err).toContain(d1);
    expect(r.err).toMatch(/cannot read|missing/);
    writeFileSync(d1, bytes);
    r = await fuseflowEval('merge', ...s.files, '--json', '--no-progress');
    expect(r.code).toBe(0);
  });

  it('without --id nothing changes: no digest file, no ids in the state header', async () => {
    const args = ['--input', `${clean}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const file = join(dir, 'plain-0.state');
    const r = await fuseflowEval(...args, '--shard', '0/4', '--state-out', file);
    expect(r.code).toBe(0);
    expect((readStateFile(file).header as unknown as { ids?: unknown }).ids).toBeUndefined();
    expect(existsSync(`${file}.ids`)).toBe(false);
  });
});

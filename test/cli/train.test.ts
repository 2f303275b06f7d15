import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/train.js';
import { main } from '../../src/cli/main.js';
import { InputError, OptionsError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';

const CSV = fileURLToPath(new URL('../fixtures/tabular/breast_cancer.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ff-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuseflow train', () => {
  it('trains on a header-less CSV, keeps the best epoch and writes Arrow predictions for fuseflow eval', async () => {
    const out = join(dir, 'run');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    const code = await run([CSV, '--no-header', '--skip-lines', '1', '--target', 'col_30', '--out', out, '--epochs', '4', '--backend', 'cpu']);
    spy.mockRestore();
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/569 rows, 30 features, 2 classes \(0=0, 1=1\); 455 train \/ 114 validation/);
    for (const f of ['best.ckpt', 'last.ckpt', 'log.jsonl', 'predictions.arrow']) expect(existsSync(join(out, f))).toBe(true);
    const t = tableFromIPC(readFileSync(join(out, 'predictions.arrow')));
    expect(t.numRows).toBe(114);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'target', 'pred_0', 'pred_1']);
    const best = lines.find((l) => l.startsWith('best epoch'));
    expect(Number(/auc (\d\.\d+)/.exec(best ?? '')?.[1])).toBeGreaterThan(0.95);
  });

  it('--backend webgpu: trains on a GPU where Dawn finds one; elsewhere fails before writing anything, saying what is missing', async () => {
    const out = join(dir, 'gpu-run');
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = await run([CSV, '--no-header', '--skip-lines', '1', '--target', 'col_30', '--out', out, '--epochs', '1', '--backend', 'webgpu']).then(
      (code) => code,
      (e: unknown) => e,
    );
    spy.mockRestore();
    if (err === 0) {
      expect(existsSync(join(out, 'predictions.arrow'))).toBe(true);
      return;
    }
    expect((err as Error).message).toMatch(/^webgpu backend: (webgpu is not installed|the webgpu package loaded but found no GPU adapter)/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 with usage for a missing --target or an unknown option', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run([CSV, '--out', join(dir, 'x')])).toBe(2);
    expect(await run([CSV, '--target', 'y', '--out', join(dir, 'x'), '--bogus'])).toBe(2);
    spy.mockRestore();
  });

  it('names the columns when the target is not one of them', async () => {
    await expect(run([CSV, '--no-header', '--skip-lines', '1', '--target', 'label', '--out', join(dir, 'y'), '--backend', 'cpu'])).rejects.toThrow(
      /--target 'label' is not a column.*col_0/,
    );
  });
});

/** Runs `fuseflow train` through the CLI entry (as a user does): exit code, stdout and stderr lines. */
async function cli(args: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
  const error = vi.spyOn(console, 'error').mockImplementation((l: string) => void err.push(l));
  try {
    const code = await main(['train', ...args]);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
const HEADERLESS = [CSV, '--no-header', '--skip-lines', '1', '--target', 'col_30', '--backend', 'cpu'];
let n = 0;
const fresh = (): string => join(dir, `case-${n++}`);

describe('fuseflow train: a folder that holds a run', () => {
  it('is refused without --resume or --overwrite (nothing changed); --overwrite removes only the run files', async () => {
    const out = fresh();
    expect((await cli([...HEADERLESS, '--out', out, '--epochs', '2'])).code).toBe(0);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const before = Object.fromEntries(['best.ckpt', 'last.ckpt', 'log.jsonl', 'run.json', 'predictions.arrow'].map((f) => [f, readFileSync(join(out, f))]));
    const again = await cli([...HEADERLESS, '--out', out, '--epochs', '2']);
    expect(again.code).toBe(1);
    expect(again.err).toEqual([
      `fuseflow train: ${out}: already holds a run (run.json, best.ckpt, last.ckpt, log.jsonl, predictions.arrow); pass --resume to continue it, --overwrite to replace it (removes only run.json, best.ckpt, last.ckpt, log.jsonl, predictions.arrow, test.json), or choose another --out`,
    ]);
    for (const [f, bytes] of Object.entries(before)) expect(readFileSync(join(out, f)).equals(bytes)).toBe(true);
    const over = await cli([...HEADERLESS, '--out', out, '--epochs', '3', '--overwrite']);
    expect(over.code).toBe(0);
    const epochs = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { epoch: number }).epoch);
    expect(epochs).toEqual([0, 1, 2]);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(out).sort()).toEqual(['best.ckpt', 'last.ckpt', 'log.jsonl', 'notes.txt', 'predictions.arrow', 'run.json']);
  });

  it('a log.jsonl that is a symbolic link counts as a run file: refused; --overwrite removes the link, never its target', async () => {
    const out = fresh();
    mkdirSync(out);
    const outside = join(dir, `outside-${n}.txt`);
    writeFileSync(outside, 'keep\n');
    symlinkSync(outside, join(out, 'log.jsonl'));
    const refused = await cli([...HEADERLESS, '--out', out, '--epochs', '1']);
    expect(refused.err[0]).toMatch(/already holds a run \(log\.jsonl\)/);
    expect((await cli([...HEADERLESS, '--out', out, '--epochs', '1', '--overwrite'])).code).toBe(0);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
    expect(lstatSync(join(out, 'log.jsonl')).isFile()).toBe(true);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('fuseflow train --resume checks the recorded configuration', () => {
  const out = join(dir, 'resume-run');
  const table = join(dir, 'resume-table.csv');
  it('records the configuration in run.json and names the first field that differs', async () => {
    writeFileSync(table, readFileSync(CSV));
    const args = [table, '--no-header', '--skip-lines', '1', '--target', 'col_30', '--backend', 'cpu', '--out', out, '--epochs', '2', '--seed', '1'];
    expect((await cli(args)).code).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { config: Record<string, unknown> };
    expect(record.config).toMatchObject({
      seed: 1,
      lr: 0.003,
      'batch-size': 32,
      'valid-folds': 5,
      layers: [32, 16],
      epochs: 2,
      data: { file: table, size: readFileSync(CSV).length },
    });
    const resumeWith = async (...change: string[]): Promise<string | undefined> => {
      const r = await cli([...args, ...change, '--resume']);
      expect(r.code).toBe(1);
      return r.err[0];
    };
    expect(await resumeWith('--seed', '7')).toBe(
      `fuseflow train: --resume: seed differs: run was 1, now 7 (recorded in ${join(out, 'run.json')}); resume with the same options, or start a new run with another --out (or --overwrite to replace this one)`,
    );
    expect(await resumeWith('--lr', '0.01')).toMatch(/^fuseflow train: --resume: lr differs: run was 0\.003, now 0\.01 /);
    expect(await resumeWith('--layers', '8')).toMatch(/--resume: layers differs: run was \[32,16\], now \[8\]/);
    expect(await resumeWith('--valid-folds', '4')).toMatch(/--resume: valid-folds differs: run was 5, now 4/);
    const bytes = readFileSync(CSV, 'utf8');
    writeFileSync(table, bytes.replace('17.99,', '17.98,'));
    expect(await resumeWith()).toMatch(/--resume: data\.sha256 differs: run was "[0-9a-f]{64}", now "[0-9a-f]{64}"/);
    writeFileSync(table, bytes);
    const ok = await cli([...args, '--resume']);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('checks the checkpoint too when run.json is gone (fit records the same configuration)', async () => {
    rmSync(join(out, 'run.json'));
    const r = await cli([table, '--no-header', '--skip-lines', '1', '--target', 'col_30', '--backend', 'cpu', '--out', out, '--epochs', '2', '--seed', '3', '--resume']);
    expect(r.err[0]).toMatch(/^fuseflow train: resume: seed differs: run was 1, now 3 \(recorded in .*last\.ckpt\)/);
  });

  it('--resume without a checkpoint is an error, not a fresh start', async () => {
    const out2 = fresh();
    await expect(run([...HEADERLESS, '--out', out2, '--resume'])).rejects.toThrow(OptionsError);
    await expect(run([...HEADERLESS, '--out', out2, '--resume'])).rejects.toThrow(`--resume: no checkpoint to resume from in ${out2} (last.ckpt is missing)`);
    expect(existsSync(out2)).toBe(false);
  });
});

describe('fuseflow train reads the table strictly', () => {
  const table = (name: string, cell: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `id,a,b,y\nr0,1,2,0\nr1,3,${cell},1\nr2,5,6,0\nr3,7,8,1\n`);
    return path;
  };
  it.each([
    ['abc', "line 3: column 'b', row 2 (id 'r1'): 'abc' is not a number"],
    ['Inf', "line 3: column 'b', row 2 (id 'r1'): 'Inf' is not a finite number"],
    ['NaN', "line 3: column 'b', row 2 (id 'r1'): 'NaN' is not a finite number"],
    ['', "line 3: column 'b', row 2 (id 'r1'): '' is a missing value"],
    ['0x10', "line 3: column 'b', row 2 (id 'r1'): '0x10' is not a number"],
  ])('a feature cell %j → InputError naming file, line, column, row and value', async (cell, message) => {
    const path = table(`bad-${n++}.csv`, cell);
    const err = await run([path, '--target', 'y', '--id', 'id', '--out', fresh(), '--backend', 'cpu', '--valid-folds', '2']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${path}:${message}`);
  });

  it('a missing label is refused, naming the row', async () => {
    const path = join(dir, 'nolabel.csv');
    writeFileSync(path, 'a,y\n1,0\n2,\n3,1\n');
    await expect(run([path, '--target', 'y', '--out', fresh(), '--backend', 'cpu'])).rejects.toThrow(`${path}:line 3: target column 'y', row 2 (id '1'): missing label`);
  });
});

describe('fuseflow train: an --out that cannot be written', () => {
  it('a regular file, a path under one, or a folder the system refuses → one clean line, exit 1', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const cases: [string, string][] = [
      [file, `${file}: cannot create the run folder: a file of that name exists (choose another folder)`],
      [join(file, 'run'), `${join(file, 'run')}: cannot create the run folder: a part of its path is not a folder`],
    ];
    // /sys refuses new folders even to root (EPERM in a container, EROFS on a read-only sysfs).
    if (existsSync('/sys/kernel')) cases.push(['/sys/fuseflow-run', '/sys/fuseflow-run: cannot create the run folder: ']);
    for (const [out, message] of cases) {
      const r = await cli([...HEADERLESS, '--out', out, '--epochs', '1']);
      expect(r.code).toBe(1);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toContain(`fuseflow train: ${message}`);
      expect(r.err[0]).not.toMatch(/\n\s+at /);
    }
    await expect(run([...HEADERLESS, '--out', file])).rejects.toThrow(OutputError);
  });
});

/**
 * `fuseflow eval --input 'dir/*.arrow' … --shard i/N --state-out FILE` and `fuseflow eval merge`:
 * 10^6 predictions in 16 Arrow files evaluated by one process, by 4 shards merged in order, and
 * by the same shards merged in a shuffled order print the same JSON, byte for byte; with --id and
 * row-resampled CIs (more shards than files: record batches split); the refusals (another run,
 * a shard twice or missing, damaged or foreign files, changed inputs) name the file.
 */
import { mkdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { tempFolder } from '../temp-folder.js';
import { shuffled, writePredictionFiles } from '../eval/shard/prediction-files.js';
import { fuseflowEval } from './run-cli.js';

const { dir, write } = tempFolder('fuseflow-eval-shard-');
const big = join(dir, 'big');
const small = join(dir, 'small');
const odd = join(dir, 'odd');

/** Runs shards 0..n-1 of `args` into `prefix-i.state`; returns the state files. */
async function runShards(args: readonly string[], n: number, prefix: string, extra: readonly string[] = []): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = `${prefix}-${i}.state`;
    const r = await fuseflowEval(...args, ...extra, '--shard', `${i}/${n}`, '--state-out', file);
    expect(r.err).toContain(`shard ${i}/${n}`);
    expect(r.code).toBe(0);
    files.push(file);
  }
  return files;
}

beforeAll(() => {
  mkdirSync(small, { recursive: true });
  writePredictionFiles(small, { files: 3, rows: 6_000, batchRows: 500, seed: 5, ids: true });
  mkdirSync(odd, { recursive: true });
  writePredictionFiles(odd, { files: 2, rows: 40_000, batchRows: 4_000, seed: 8 }); // over 16,384 rows: AUC needs a refinement pass
});

afterEach(() => {
  delete process.env['SLURM_ARRAY_TASK_ID'];
  delete process.env['SLURM_ARRAY_TASK_COUNT'];
});

describe('fuseflow eval map/merge', () => {
  it('10^6 predictions in 16 Arrow files: one process = 4 shards merged = the shards merged in a shuffled order (identical JSON)', async () => {
    mkdirSync(big, { recursive: true });
    writePredictionFiles(big, { files: 16, rows: 1_000_000, batchRows: 25_000, seed: 11 });
    const args = [
      '--input',
      `${big}/part-*.arrow`,
      '--pred',
      'pred',
      '--target',
      'target',
      '--metrics',
      'auc,aucpr,accuracy,balanced-accuracy,confusion,brier,mcc,logloss,ece',
      '--no-progress',
    ];
    const one = await fuseflowEval(...args, '--json');
    expect(one.code).toBe(0);
    const parsed = JSON.parse(one.out) as { metrics: Record<string, unknown> };
    expect(Object.keys(parsed.metrics)).toEqual(['auc', 'aucpr', 'accuracy', 'balanced-accuracy', 'confusion', 'brier', 'mcc', 'logloss', 'ece']);
    expect((parsed.metrics['confusion'] as { tp: number; fn: number; fp: number; tn: number }).tp).toBeGreaterThan(0);
    const states = await runShards(args, 4, join(dir, 'big'));
    const inOrder = await fuseflowEval('merge', ...states, '--json', '--no-progress');
    expect(inOrder.code).toBe(0);
    expect(inOrder.out).toBe(one.out);
    const anyOrder = await fuseflowEval('merge', ...shuffled(states, 3), '--json', '--no-progress');
    expect(anyOrder.out).toBe(one.out);
  }, 120_000);

  it('--id with row-resampled CIs, more shards than files (record batches split), a folder input: merged = one process, CI bounds included', async () => {
    const args = [
      '--input',
      small,
      '--id',
      'id',
      '--pred',
      'pred',
      '--target',
      'target',
      '--ci',
      '40',
      '--group-by',
      'target',
      '--metrics',
      'auc,accuracy,brier,logloss',
      '--no-progress',
    ];
    const one = await fuseflowEval(...args, '--json');
    expect(one.code).toBe(0);
    const brier = (JSON.parse(one.out) as { metrics: { brier: { conf_lower: number; conf_upper: number } } }).metrics.brier;
    expect(brier.conf_lower).toBeLessThan(brier.conf_upper);
    const states = await runShards(args, 8, join(dir, 'small'), ['--with-report']);
    const shares = states.map(
      (f) =>
        (
          JSON.parse(
            readFileSync(f)
              .subarray(12, 12 + readFileSync(f).readUInt32LE(8))
              .toString('utf8'),
          ) as { share: unknown[] }
        ).share,
    );
    expect(shares.some((s) => JSON.stringify(s).includes('recordBatches'))).toBe(true);
    const merged = await fuseflowEval('merge', ...shuffled(states, 9), '--json', '--no-progress');
    expect(merged.err).toBe('');
    expect(merged.out).toBe(one.out);
    // The table output is the same too (rows, passes, join line).
    const table = await fuseflowEval(...args);
    const mergedTable = await fuseflowEval('merge', ...states, '--no-progress');
    expect(mergedTable.out).toBe(table.out);
    // And the HTML report.
    const reportOne = join(dir, 'one.html');
    const reportMerged = join(dir, 'merged.html');
    expect((await fuseflowEval(...args, '--report', reportOne)).code).toBe(0);
    const mergedReport = await fuseflowEval('merge', ...states, '--report', reportMerged, '--no-progress');
    expect(mergedReport.err).toBe('');
    expect(mergedReport.code).toBe(0);
    // Vega numbers gradient ids with a counter per process (these runs share one): the ids are normalised.
    const lines = (f: string): string[] =>
      readFileSync(f, 'utf8')
        .replace(/gradient_\d+/g, 'gradient_N')
        .split('\n');
    expect(lines(reportMerged).filter((l, i) => l !== lines(reportOne)[i])).toEqual([]);
  }, 120_000);

  it('a shard rerun replaces its own state file with the same bytes; the launcher rank (Slurm array) picks the shard', async () => {
    const args = ['--input', `${odd}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const file = join(dir, 'rerun.state');
    expect((await fuseflowEval(...args, '--shard', '1/3', '--state-out', file)).code).toBe(0);
    const first = readFileSync(file);
    expect((await fuseflowEval(...args, '--shard', '1/3', '--state-out', file)).code).toBe(0);
    expect(readFileSync(file).equals(first)).toBe(true);
    // Another shard may not replace it without --overwrite.
    const other = await fuseflowEval(...args, '--shard', '2/3', '--state-out', file);
    expect(other.code).toBe(1);
    expect(other.err).toContain(file);
    process.env['SLURM_ARRAY_TASK_ID'] = '1';
    process.env['SLURM_ARRAY_TASK_COUNT'] = '3';
    const ranked = join(dir, 'ranked.state');
    const r = await fuseflowEval(...args, '--state-out', ranked);
    expect(r.code).toBe(0);
    expect(r.err).toContain('shard 1/3');
    expect(readFileSync(ranked).equals(first)).toBe(true);
  });

  it('refuses: shards of another run, a shard twice, missing shards, a damaged or foreign file, another format version, changed inputs', async () => {
    const args = ['--input', `${odd}/*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const s = await runShards(args, 2, join(dir, 'ref'));
    const [s0, s1] = s as [string, string];
    const other = await runShards([...args, '--metrics', 'auc'], 2, join(dir, 'other'));
    let r = await fuseflowEval('merge', s0, other[1] as string);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/metric set .* differs/);
    expect(r.err).toContain(other[1]);
    r = await fuseflowEval('merge', s0, s0, s1);
    expect(r.err).toContain('shard 0/2 is given twice');
    r = await fuseflowEval('merge', s1);
    expect(r.err).toContain('1 of 2 shards missing: 0');
    const damaged = Buffer.from(readFileSync(s1));
    damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] as number) ^ 0x10;
    const bad = write('damaged.state', damaged);
    r = await fuseflowEval('merge', s0, bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}: state file is damaged or truncated (checksum mismatch)`);
    const future = Buffer.from(readFileSync(s1));
    future.write('99', 6, 'latin1');
    r = await fuseflowEval('merge', s0, write('future.state', future));
    expect(r.err).toContain('state file format 99 is not the format this fuseflow reads (01)');
    r = await fuseflowEval('merge', s0, write('foreign.state', 'id,pred\n'));
    expect(r.err).toContain('not a fuseflow evaluation state file');
    // An input rewritten after the shards read it: the merge's extra AUC pass refuses it.
    const part = join(odd, 'part-00.arrow');
    const st = statSync(part);
    utimesSync(part, st.atimeMs / 1000, (st.mtimeMs + 5_000) / 1000);
    r = await fuseflowEval('merge', s0, s1);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${part}: changed since the shards read it`);
    utimesSync(part, st.atimeMs / 1000, st.mtimeMs / 1000); // seconds as numbers: a Date would round to whole ms
    const again = await fuseflowEval('merge', s0, s1, '--no-progress');
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
  });

  it('usage and input errors: --shard without --state-out, a bad i/N, several --input, an empty glob, a file with other columns', async () => {
    const base = ['--pred', 'pred', '--target', 'target', '--no-progress'];
    let r = await fuseflowEval('--input', `${odd}/*.arrow`, ...base, '--shard', '0/2');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--shard i/N needs --state-out FILE');
    r = await fuseflowEval('--input', `${odd}/*.arrow`, ...base, '--shard', '2/2', '--state-out', join(dir, 'x.state'));
    expect(r.err).toContain('--shard must be i/N with 0 <= i < N');
    r = await fuseflowEval('--input', `${odd}/*.arrow`, '--input', `${small}/*.arrow`, '--id', 'id', ...base, '--state-out', join(dir, 'x.state'));
    expect(r.err).toContain('--state-out splits one --input set of files');
    r = await fuseflowEval('--input', `${dir}/nothing-*.arrow`, ...base);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${dir}/nothing-*.arrow: no file matches the pattern`);
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed, { recursive: true });
    writePredictionFiles(mixed, { files: 1, rows: 100, batchRows: 100, seed: 1, prefix: 'a-' });
    writePredictionFiles(mixed, { files: 1, rows: 100, batchRows: 100, seed: 2, prefix: 'b-', ids: true });
    r = await fuseflowEval('--input', `${mixed}/*.arrow`, ...base);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${mixed}/b-00.arrow: columns differ from those of the first file of the set, ${mixed}/a-00.arrow (pred, target): this file has extra 'id'`);
  });

  it('several --input sets (globs of CSV files) still join by --id: equal to one file holding every column', async () => {
    const rng = Rng.fromParts([3, 'join-sets']);
    const n = 300;
    const ids = Array.from({ length: n }, (_, i) => `id${String(i).padStart(4, '0')}`);
    const y = ids.map(() => (rng.next() < 0.4 ? 1 : 0));
    const p = y.map((v) => Math.round((0.3 + 0.3 * v + 0.4 * (rng.next() - 0.5)) * 1000) / 1000);
    mkdirSync(join(dir, 'jp'), { recursive: true });
    mkdirSync(join(dir, 'jt'), { recursive: true });
    const order = shuffled(
      ids.map((_, i) => i),
      4,
    );
    for (let f = 0; f < 3; f++)
      write(
        `jp/p-${f}.csv`,
        `id,pred\n${order
          .slice(f * 100, (f + 1) * 100)
          .map((i) => `${ids[i]},${p[i]}`)
          .join('\n')}\n`,
      );
    for (let f = 0; f < 2; f++)
      write(
        `jt/t-${f}.csv`,
        `id,target\n${ids
          .slice(f * 150, (f + 1) * 150)
          .map((id, k) => `${id},${y[f * 150 + k]}`)
          .join('\n')}\n`,
      );
    const whole = write('whole.csv', `id,pred,target\n${ids.map((id, i) => `${id},${p[i]},${y[i]}`).join('\n')}\n`);
    const flags = ['--id', 'id', '--pred', 'pred', '--target', 'target', '--json', '--no-progress'];
    const joined = await fuseflowEval('--input', `${dir}/jp/p-*.csv`, '--input', `${dir}/jt`, ...flags);
    expect(joined.err).toBe('');
    const reference = await fuseflowEval('--input', whole, ...flags);
    expect(joined.out).toBe(reference.out);
  });
});

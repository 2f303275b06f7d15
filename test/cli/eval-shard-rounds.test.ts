/**
 * Distributed refinement rounds: `fuseflow eval merge … --next-pass-out PLAN`, the shards'
 * `--pass PLAN --state-out FILE` and the merge of their pass files. 80,000 predictions in 8 Arrow
 * files (the default metrics' AUC/AP need an exact-refinement pass: 2 passes in one process):
 * one process = map(4) → merge → pass(4, shuffled) → merge, byte for byte, and the last merge
 * reads no input (the input folder is moved away first). A plan that says complete, and the
 * refusals (a missing pass shard, a pass file of another plan, a changed plan, a plan of another
 * run, a plan given to merge) naming the file.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readStateFile } from '../../src/eval/shard/state-file.js';
import { tempFolder } from '../temp-folder.js';
import { writePredictionFiles, shuffled } from '../eval/shard/prediction-files.js';
import { fuseflowEval } from './run-cli.js';

const { dir } = tempFolder('fuseflow-eval-rounds-');
const data = join(dir, 'data');
const args = ['--input', `${data}/part-*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
const N = 4;

/** Runs shards `order` of N with `extra` flags into `prefix-i.state`; returns the files by index. */
async function shards(prefix: string, extra: readonly string[], order: readonly number[] = [0, 1, 2, 3], runArgs: readonly string[] = args): Promise<string[]> {
  const files = Array.from({ length: N }, (_, i) => `${prefix}-${i}.state`);
  for (const i of order) {
    const r = await fuseflowEval(...runArgs, ...extra, '--shard', `${i}/${N}`, '--state-out', files[i] as string);
    expect(r.err).toContain(`shard ${i}/${N}`);
    expect(r.code).toBe(0);
  }
  return files;
}

/** Moves the input folder away while `fn` runs (a merge that reads an input then fails). */
async function withoutInputs<T>(fn: () => Promise<T>): Promise<T> {
  renameSync(data, `${data}-away`);
  try {
    return await fn();
  } finally {
    renameSync(`${data}-away`, data);
  }
}

beforeAll(() => {
  mkdirSync(data, { recursive: true });
  writePredictionFiles(data, { files: 8, rows: 80_000, batchRows: 2_500, seed: 21 });
});

describe('fuseflow eval: distributed refinement rounds', () => {
  let plan = '';
  let passFiles: string[] = [];
  let oneJson = '';

  it('1 process = map(4) → merge --next-pass-out → 4 pass shards in shuffled order → merge (identical JSON and table); the last merge reads no input', async () => {
    const table = await fuseflowEval(...args);
    expect(table.code).toBe(0);
    expect(table.out).toContain('80000 rows from ');
    expect(table.out).toContain('; 2 passes');
    const one = await fuseflowEval(...args, '--json');
    expect(one.code).toBe(0);
    oneJson = one.out;
    const maps = await shards(join(dir, 'map'), []);
    plan = join(dir, 'plan-2.state');
    const m1 = await fuseflowEval('merge', ...shuffled(maps, 1), '--next-pass-out', plan, '--json', '--no-progress');
    expect(m1.code).toBe(0);
    expect(m1.out).toBe('');
    expect(m1.err).toMatch(new RegExp(`^fuseflow eval merge: round 2 needed \\(auc: exact order inside \\d+ score bins .*\\): run every shard with --pass ${plan}$`));
    const header = readStateFile(plan).header;
    expect(header).toMatchObject({ kind: 'plan', round: 2, rows: 80_000, complete: false, shard: { count: N } });
    expect(header.metrics).toContain('auc');
    // A rerun of the same merge replaces its own plan with the same bytes.
    const bytes = readFileSync(plan);
    expect((await fuseflowEval('merge', ...maps, '--next-pass-out', plan, '--no-progress')).code).toBe(0);
    expect(readFileSync(plan).equals(bytes)).toBe(true);
    passFiles = await shards(join(dir, 'pass'), ['--pass', plan], [2, 0, 3, 1]);
    const passRows = passFiles.map((f) => readStateFile(f).header.rows);
    expect(passRows.every((r) => r > 0 && r < 80_000)).toBe(true);
    const last = await withoutInputs(() => fuseflowEval('merge', ...shuffled(passFiles, 5), '--json', '--no-progress'));
    expect(last.err).toBe('');
    expect(last.code).toBe(0);
    expect(last.out).toBe(oneJson);
    const lastTable = await withoutInputs(() => fuseflowEval('merge', ...passFiles, '--no-progress'));
    expect(lastTable.out).toBe(table.out);
    // With --next-pass-out the final merge also writes a plan marked complete.
    const plan3 = join(dir, 'plan-3.state');
    const closing = await withoutInputs(() => fuseflowEval('merge', ...passFiles, '--json', '--next-pass-out', plan3, '--no-progress'));
    expect(closing.out).toBe(oneJson);
    expect(readStateFile(plan3).header).toMatchObject({ kind: 'plan', round: 3, complete: true });
    // A pass shard of a complete plan writes a small file without reading rows; merging those prints the same.
    const trivial = await shards(join(dir, 'pass3'), ['--pass', plan3]);
    for (const f of trivial) expect(readStateFile(f).header).toMatchObject({ kind: 'pass', round: 3, complete: true, rows: 0, metrics: [] });
    const again = await withoutInputs(() => fuseflowEval('merge', ...trivial, '--json', '--no-progress'));
    expect(again.out).toBe(oneJson);
  }, 120_000);

  it('a pass shard rerun: its file of the same plan is kept and nothing is read (one stderr line); its file of an earlier plan of this run is replaced (said on stderr); the merge then takes it', async () => {
    const passFile = passFiles[1] as string;
    const before = readFileSync(passFile);
    const mtime = statSync(passFile).mtimeMs;
    const same = await fuseflowEval(...args, '--pass', plan, '--shard', '1/4', '--state-out', passFile);
    expect(same.code).toBe(0);
    expect(same.err).toBe(`fuseflow eval: shard 1/4: round 2: ${passFile} already holds this shard's pass of this plan (same checksum); nothing read`);
    expect(readFileSync(passFile).equals(before)).toBe(true);
    expect(statSync(passFile).mtimeMs).toBe(mtime);
    // The run's complete plan of round 3 is another plan (other checksum): a pass file of round 2 there is this shard's, of an earlier plan.
    const plan3 = join(dir, 'plan-3.state');
    const stale = join(dir, 'stale-pass-1.state');
    copyFileSync(passFile, stale);
    const replaced = await fuseflowEval(...args, '--pass', plan3, '--shard', '1/4', '--state-out', stale);
    expect(replaced.code).toBe(0);
    const oldDigest = readStateFile(passFile).header.plan?.digest ?? '';
    expect(replaced.err).toContain(`fuseflow eval: shard 1/4: round 3: replacing ${stale}, this shard's pass of an earlier plan (${plan}, checksum ${oldDigest.slice(0, 12)}…)`);
    expect(readStateFile(stale).header).toMatchObject({ kind: 'pass', round: 3, complete: true, plan: { path: plan3, digest: readStateFile(plan3).digest } });
    // The emitted chain's case: a folder holding an earlier plan's pass file of shard 1 next to this plan's others; the rerun of shard 1 fixes it.
    const mixed = [passFiles[0] as string, stale, passFiles[2] as string, passFiles[3] as string];
    const refused = await fuseflowEval('merge', ...mixed, '--json', '--no-progress');
    expect(refused.code).toBe(1);
    const back = await fuseflowEval(...args, '--pass', plan, '--shard', '1/4', '--state-out', stale);
    expect(back.code).toBe(0);
    expect(back.err).toContain(`replacing ${stale}, this shard's pass of an earlier plan (${plan3}, `);
    expect((await withoutInputs(() => fuseflowEval('merge', ...mixed, '--json', '--no-progress'))).out).toBe(oneJson);
    // Not this shard's pass file of this run: refused as before, the file left as it was.
    const mapFile = join(dir, 'map-1.state');
    const mapBytes = readFileSync(mapFile);
    const notPass = await fuseflowEval(...args, '--pass', plan, '--shard', '1/4', '--state-out', mapFile);
    expect(notPass.code).toBe(1);
    expect(notPass.err).toContain(`${mapFile}: `);
    expect(readFileSync(mapFile).equals(mapBytes)).toBe(true);
    const otherRun = await fuseflowEval(...args, '--threshold', '0.5', '--pass', plan, '--shard', '1/4', '--state-out', passFile);
    expect(otherRun.code).toBe(1);
    expect(readFileSync(passFile).equals(before)).toBe(true);
  }, 60_000);

  it('map states merged without --next-pass-out: as before, the merge reads the inputs for the pass itself (fails with them moved away), no round line', async () => {
    // The map states without --next-pass-out: today's behaviour (the merge reads the inputs for the pass), no round line.
    const maps = Array.from({ length: N }, (_, i) => join(dir, `map-${i}.state`));
    const plain = await fuseflowEval('merge', ...maps, '--json', '--no-progress');
    expect(plain.err).toBe('');
    expect(plain.out).toBe(oneJson);
    const moved = await withoutInputs(() => fuseflowEval('merge', ...maps, '--json', '--no-progress'));
    expect(moved.code).toBe(1);
    expect(moved.err).toContain(`${data}/part-00.arrow`);
  }, 60_000);

  it('a plan that says complete (metrics that need no pass): merge prints the result and writes it; pass shards write trivial files; the final merge prints the same', async () => {
    const run = [...args, '--metrics', 'accuracy,brier,confusion'];
    const one = await fuseflowEval(...run, '--json');
    const maps = await shards(join(dir, 'cmap'), [], [3, 1, 0, 2], run);
    const cplan = join(dir, 'cplan.state');
    const m1 = await fuseflowEval('merge', ...maps, '--next-pass-out', cplan, '--json', '--no-progress');
    expect(m1.err).toBe('');
    expect(m1.out).toBe(one.out);
    expect(readStateFile(cplan).header).toMatchObject({ kind: 'plan', round: 2, complete: true, passes: [] });
    const passes = await shards(join(dir, 'cpass'), ['--pass', cplan], [0, 1, 2, 3], run);
    expect(passes.map((f) => readStateFile(f).header.rows)).toEqual([0, 0, 0, 0]);
    const last = await withoutInputs(() => fuseflowEval('merge', ...passes, '--json', '--no-progress'));
    expect(last.code).toBe(0);
    expect(last.out).toBe(one.out);
  }, 60_000);

  it("more shards than record batches: the shards with nothing to read write empty pass states; the result is still one process's", async () => {
    const two = join(dir, 'two');
    mkdirSync(two, { recursive: true });
    writePredictionFiles(two, { files: 2, rows: 40_000, batchRows: 20_000, seed: 4 });
    const run = ['--input', two, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const one = await fuseflowEval(...run, '--json');
    const maps = await shards(join(dir, 'two-map'), [], [0, 1, 2, 3], run);
    expect(maps.map((f) => readStateFile(f).header.rows)).toEqual([0, 20_000, 0, 20_000]);
    const twoPlan = join(dir, 'two-plan.state');
    expect((await fuseflowEval('merge', ...maps, '--next-pass-out', twoPlan, '--no-progress')).out).toBe('');
    const passes = await shards(join(dir, 'two-pass'), ['--pass', twoPlan], [3, 2, 1, 0], run);
    const passRows = passes.map((f) => readStateFile(f).header.rows);
    expect(passRows[0]).toBe(0);
    expect(passRows[2]).toBe(0);
    const last = await fuseflowEval('merge', ...passes, '--json', '--no-progress');
    expect(last.err).toBe('');
    expect(last.out).toBe(one.out);
  }, 60_000);

  it('refuses, naming the file: a missing pass shard, a pass file of another plan, a changed plan, a plan of another run, a plan given to merge, mixed rounds, an existing file as the plan; a pass shard rerun of the same plan keeps its own file', async () => {
    expect(passFiles).toHaveLength(N);
    const missing = await fuseflowEval('merge', ...passFiles.slice(0, 3), '--json', '--no-progress');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('1 of 4 shards missing: 3');
    // The same plan under another path is another plan: its pass file is refused.
    const copy = join(dir, 'plan-copy.state');
    copyFileSync(plan, copy);
    const foreign = await shards(join(dir, 'foreign'), ['--pass', copy]);
    const r1 = await fuseflowEval('merge', foreign[0] as string, ...passFiles.slice(1), '--no-progress');
    expect(r1.code).toBe(1);
    expect(r1.err).toContain(`${passFiles[1] as string}: ran another plan than ${foreign[0] as string}`);
    expect((await fuseflowEval('merge', ...foreign, '--json', '--no-progress')).out).toBe(oneJson);
    // A plan changed after the pass shards ran it (here: replaced by the complete plan of another run).
    copyFileSync(join(dir, 'cplan.state'), copy);
    const r2 = await fuseflowEval('merge', ...foreign, '--no-progress');
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(`${copy}: changed since the pass shards ran it`);
    // A plan of other arguments.
    const r3 = await fuseflowEval(...args, '--threshold', '0.4', '--pass', plan, '--shard', '0/4', '--state-out', join(dir, 'x.state'));
    expect(r3.code).toBe(1);
    expect(r3.err).toContain(`${plan}: --pass: the plan is of another run than this shard: args.threshold: undefined vs 0.4`);
    // Another shard count.
    const r4 = await fuseflowEval(...args, '--pass', plan, '--shard', '0/3', '--state-out', join(dir, 'x.state'));
    expect(r4.code).toBe(1);
    expect(r4.err).toContain(`${plan}: --pass: the plan is of a run of 4 shards, this is shard 0/3`);
    // A state file that is not a plan.
    const r5 = await fuseflowEval(...args, '--pass', passFiles[0] as string, '--shard', '0/4', '--state-out', join(dir, 'x.state'));
    expect(r5.code).toBe(1);
    expect(r5.err).toContain(`${passFiles[0] as string}: --pass: not a refinement plan`);
    // A plan given to merge, and files of two rounds.
    const r6 = await fuseflowEval('merge', plan, '--no-progress');
    expect(r6.code).toBe(1);
    expect(r6.err).toContain(`${plan}: is a refinement plan, not a shard's states`);
    const r7 = await fuseflowEval('merge', join(dir, 'map-0.state'), ...passFiles.slice(1), '--no-progress');
    expect(r7.code).toBe(1);
    expect(r7.err).toContain(`${passFiles[1] as string}: holds pass states of a refinement round but ${join(dir, 'map-0.state')} holds a map step's states`);
    // The plan path must not be another existing file (unless --overwrite); --pass needs --state-out.
    const maps = Array.from({ length: N }, (_, i) => join(dir, `map-${i}.state`));
    const r8 = await fuseflowEval('merge', ...maps, '--next-pass-out', passFiles[0] as string, '--no-progress');
    expect(r8.code).toBe(1);
    expect(r8.err).toContain(passFiles[0] as string);
    // A pass shard rerun of the same plan keeps its own file; another shard's file is refused.
    expect((await fuseflowEval(...args, '--pass', plan, '--shard', '0/4', '--state-out', passFiles[0] as string)).code).toBe(0);
    const own = readFileSync(passFiles[0] as string);
    const r10 = await fuseflowEval(...args, '--pass', plan, '--shard', '1/4', '--state-out', passFiles[0] as string);
    expect(r10.code).toBe(1);
    expect(r10.err).toContain(`${passFiles[0] as string}: `);
    expect(readFileSync(passFiles[0] as string).equals(own)).toBe(true);
    expect((await fuseflowEval('merge', ...passFiles, '--json', '--no-progress')).out).toBe(oneJson);
    const r9 = await fuseflowEval(...args, '--pass', plan);
    expect(r9.code).toBe(2);
    expect(r9.err).toContain('--pass PLAN needs --state-out FILE');
  }, 60_000);
  it('a map shard rerun: its state of the same run (inputs, flags, shard, metrics) is kept and nothing is read (one stderr line, same bytes); a changed input makes it recompute (said); another run, shard or kind of file is refused by name', async () => {
    const own = join(dir, 'skip');
    mkdirSync(own);
    writePredictionFiles(own, { files: 3, rows: 6_000, batchRows: 1_000, seed: 4, ids: true });
    const base = ['--input', `${own}/part-*.arrow`, '--pred', 'pred', '--target', 'target', '--no-progress'];
    const runArgs = [...base, '--metrics', 'accuracy,auc'];
    const file = join(dir, 'skip-1.state');
    expect((await fuseflowEval(...runArgs, '--shard', '1/2', '--state-out', file)).code).toBe(0);
    const before = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    const same = await fuseflowEval(...runArgs, '--shard', '1/2', '--state-out', file);
    expect(same.code).toBe(0);
    expect(same.err).toBe(`fuseflow eval: shard 1/2: ${file} already holds this shard's state of this run (same inputs, flags and metrics); nothing read`);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
    // A changed input (its modification time): the shard recomputes and replaces its file, saying which input changed.
    const input = join(own, readdirSync(own).sort()[1] as string);
    const t = statSync(input).mtime;
    utimesSync(input, t, new Date(t.getTime() + 5_000));
    const changed = await fuseflowEval(...runArgs, '--shard', '1/2', '--state-out', file);
    expect(changed.code).toBe(0);
    expect(changed.err).toContain(`fuseflow eval: shard 1/2: replacing ${file}, this shard's state of this run over inputs since changed (${input}: `);
    expect(changed.err).toContain(' rows from ');
    const header = readStateFile(file).header as { run: { files: { path: string; mtimeMs: number }[] } };
    expect(header.run.files.find((f) => f.path === input)?.mtimeMs).toBe(Math.trunc(statSync(input).mtimeMs));
    const fresh = join(dir, 'skip-fresh.state');
    expect((await fuseflowEval(...runArgs, '--shard', '1/2', '--state-out', fresh)).code).toBe(0);
    expect(readFileSync(file).equals(readFileSync(fresh))).toBe(true);
    // Another run (other flags, another metric set), another shard, a pass file: refused naming the file, which is left as it was.
    const kept = readFileSync(file);
    for (const other of [
      [...runArgs, '--threshold', '0.4', '--shard', '1/2'],
      [...base, '--metrics', 'accuracy', '--shard', '1/2'],
      [...runArgs, '--shard', '0/2'],
      [...runArgs, '--shard', '1/3'],
    ]) {
      const r = await fuseflowEval(...other, '--state-out', file);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${file}: already exists; refusing to overwrite it`);
      expect(readFileSync(file).equals(kept)).toBe(true);
    }
    // A refinement plan of this run (another kind of state file), and a file that is no state file.
    const zero = join(dir, 'skip-0.state');
    expect((await fuseflowEval(...runArgs, '--shard', '0/2', '--state-out', zero)).code).toBe(0);
    const skipPlan = join(dir, 'skip-plan.state');
    expect((await fuseflowEval('merge', zero, file, '--next-pass-out', skipPlan, '--no-progress')).code).toBe(0);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'mine');
    for (const taken of [skipPlan, notes]) {
      const bytes = readFileSync(taken);
      const r = await fuseflowEval(...runArgs, '--shard', '0/2', '--state-out', taken);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${taken}: already exists; refusing to overwrite it`);
      expect(readFileSync(taken).equals(bytes)).toBe(true);
    }
    // With --id: a missing id digest file makes the rerun recompute both; an intact one is kept.
    const withIds = join(dir, 'skip-ids.state');
    const idArgs = [...runArgs, '--id', 'id', '--shard', '0/2', '--state-out', withIds];
    expect((await fuseflowEval(...idArgs)).code).toBe(0);
    const idBytes = readFileSync(`${withIds}.ids`);
    expect((await fuseflowEval(...idArgs)).err).toContain('nothing read');
    rmSync(`${withIds}.ids`);
    const rebuilt = await fuseflowEval(...idArgs);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.err).toContain(
      `replacing ${withIds}, this shard's state of this run over inputs since changed (its id digest file ${withIds}.ids is missing or not the one it recorded)`,
    );
    expect(readFileSync(`${withIds}.ids`).equals(idBytes)).toBe(true);
    // --overwrite recomputes even the same run's state.
    const forced = await fuseflowEval(...runArgs, '--shard', '1/2', '--state-out', file, '--overwrite');
    expect(forced.err).toContain(' rows from ');
    expect(readFileSync(file).equals(kept)).toBe(true);
  }, 60_000);
});

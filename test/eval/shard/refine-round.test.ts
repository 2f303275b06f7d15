/**
 * Several distributed refinement rounds (src/eval/shard/refine-round.ts with evaluatePass and the
 * pass planning of evaluate-passes.ts): with a small refinement budget, AUC and AP need 3 extra
 * passes in one process. Four shards run the map step, then each round — the merged states
 * written as a plan, every shard's pass (in a shuffled order) written as a pass file, the pass
 * files checked against the plan and finished — until no metric asks; the results, statuses and
 * number of passes equal one process's, and a round's pending metrics shrink as AP finishes first.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluatePass, evaluateStates, resultsOf } from '../../../src/eval/evaluate.js';
import { orderMetrics } from '../../../src/eval/evaluate-order.js';
import { planPasses } from '../../../src/eval/evaluate-passes.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { aucPr } from '../../../src/eval/metrics/aucpr.js';
import { checkPassSet, copyStates, finishRound } from '../../../src/eval/shard/refine-round.js';
import { checkShardSet, mergeShardStates } from '../../../src/eval/shard/shard-set.js';
import { readStateFile, writeStateFile } from '../../../src/eval/shard/state-file.js';
import { tempFolder } from '../../temp-folder.js';
import { shuffled, writePredictionFiles } from './prediction-files.js';

const { dir } = tempFolder('fuseflow-refine-round-');
const N = 4;
const run = { test: 'refine-round' };
/** Budgets small enough that AUC needs 3 refinement passes and AP 2 (40,000 float64 scores). */
const metrics = (): Record<string, ReturnType<typeof auc>> => ({
  auc: auc({ pred: 'pred', target: 'target', budgetBytes: 1e5 }),
  aucpr: aucPr({ pred: 'pred', target: 'target', budgetBytes: 2e5 }),
});

describe('distributed refinement rounds', () => {
  it('3 rounds over 4 shards = one process (results, status, passes); each round plans from the plan file alone', async () => {
    const files = writePredictionFiles(dir, { files: N, rows: 40_000, batchRows: 5_000, seed: 3 });
    const one = await evaluate({ data: files, metrics: metrics(), threads: 1 });
    expect(one.passes).toBe(4);
    const named = orderMetrics(metrics());
    const names = named.map((m) => m.name);
    const maps: string[] = [];
    for (let i = 0; i < N; i++) {
      const shard = await evaluateStates({ data: files[i] as string, metrics: metrics(), threads: 1, firstPassOnly: true });
      const file = join(dir, `map-${i}.state`);
      writeStateFile(file, { kind: 'map', run, metrics: names, shard: { index: i, count: N }, rows: shard.rows, share: [], writer: 'test' }, shard.states, { overwrite: false });
      maps.push(file);
    }
    const set = checkShardSet(maps.map(readStateFile));
    let merged = mergeShardStates(set, named);
    const pendingByRound: string[][] = [];
    for (let round = 2; ; round++) {
      const before = copyStates(merged, names);
      const { pending } = planPasses(named, merged, false);
      if (pending.length === 0) break;
      expect(round).toBeLessThan(10);
      pendingByRound.push(pending.map(({ m }) => names[m] as string));
      const plan = join(dir, `plan-${round}.state`);
      writeStateFile(plan, { kind: 'plan', run, metrics: names, shard: { index: 0, count: N }, rows: set.rows, round, complete: false, share: [], writer: 'test' }, before, {
        overwrite: false,
      });
      const digest = readStateFile(plan).digest;
      const passFiles: string[] = [];
      for (const i of shuffled(
        Array.from({ length: N }, (_, i) => i),
        round,
      )) {
        // Each shard knows only the plan file and its own part of the input.
        const part = await evaluatePass({ data: files[i] as string, metrics: metrics(), threads: 1, planFrom: readStateFile(plan).states });
        const file = join(dir, `pass-${round}-${i}.state`);
        const passNames = part.pending.map((m) => part.metrics[m]?.name as string);
        writeStateFile(
          file,
          { kind: 'pass', run, metrics: passNames, shard: { index: i, count: N }, rows: part.rows, round, plan: { path: plan, digest }, share: [], writer: 'test' },
          part.states,
          {
            overwrite: false,
          },
        );
        passFiles.push(file);
      }
      const passes = checkPassSet(passFiles.map(readStateFile));
      expect(passes.round).toBe(round);
      merged = finishRound(passes, named);
    }
    expect(pendingByRound).toEqual([['auc', 'aucpr'], ['auc', 'aucpr'], ['auc']]);
    const result = resultsOf(named, merged);
    expect(result.metrics).toEqual(one.metrics);
    expect(result.status).toEqual(one.status);
    expect(pendingByRound.length + 1).toBe(one.passes);
  }, 60_000);
});

/**
 * `fuseflow eval --threads N`: the CLI's metric set, rebuilt on worker threads from its recipe,
 * gives the same results as on one thread, CIs and per-group metrics included.
 */
import { describe, expect, it } from 'vitest';
import { KNIGHT_CSV, knightColumns } from '../knight-fixture.js';
import { fuseflowEval } from '../../cli/run-cli.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import { cliMetricRecipe, cliMetricSet, type CliMetricSpec } from '../../../src/cli/commands/eval-metrics.js';

const BASE = ['--input', KNIGHT_CSV, '--id', 'id', '--target', 'task1_target', '--pred', 'CanAT-score', '--json', '--no-progress'];

describe('fuseflow eval --threads', () => {
  it('prints the same JSON with --threads 1 and 3 (one segment: read and folded in the main thread; default metrics, bootstrap CIs keyed by --id, per fold)', async () => {
    const args = [...BASE, '--ci', '20', '--fold', 'fold', '--batch-size', '7'];
    const one = await fuseflowEval(...args, '--threads', '1');
    const three = await fuseflowEval(...args, '--threads', '3');
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(three.out).toBe(one.out);
    const metrics = (JSON.parse(one.out) as { metrics: Record<string, unknown> }).metrics;
    expect(Object.keys(metrics)).toContain('auc_per_fold');
  }, 60_000);

  it("rebuilds the CLI's metric set on worker threads (many small segments) with the same results as the metric objects in one thread", async () => {
    const c = knightColumns();
    const data = { id: c['id'] as string[], y: (c['task1_target'] as string[]).map(Number), p: (c['CanAT-score'] as string[]).map(Number), fold: c['fold'] as string[] };
    const spec: CliMetricSpec = {
      requested: ['auc', 'aucpr', 'accuracy', 'confusion', 'brier', 'logloss', 'ece'],
      keys: { pred: 'p', target: 'y', idKey: 'id' },
      ci: { replicates: 20, seed: 5, ciMethod: 'percentile', rowKey: 'id' },
      fold: 'fold',
      report: true,
    };
    const inThread = await evaluate({ data, metrics: cliMetricSet(spec), batchSize: 9 });
    const threaded = await evaluate({ data, metrics: cliMetricRecipe(spec), threads: 3, batchSize: 9, segmentRows: 20 });
    expect(threaded.threads).toBe(3);
    expect(JSON.stringify(threaded.metrics)).toBe(JSON.stringify(inThread.metrics));
  }, 60_000);

  it('refuses a thread count outside 1 to 256 as bad usage', async () => {
    const run = await fuseflowEval(...BASE, '--threads', '0');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--threads must be a whole number from 1 to 256, got '0'/);
  });
});

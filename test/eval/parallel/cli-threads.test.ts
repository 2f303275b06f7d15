/**
 * `fuseflow eval --threads N`: the metrics run on N worker threads (rebuilt there from the CLI's
 * metric recipe) and print the same JSON as on one thread, CIs and per-group metrics included.
 */
import { describe, expect, it } from 'vitest';
import { KNIGHT_CSV } from '../knight-fixture.js';
import { fuseflowEval } from '../../cli/run-cli.js';

const BASE = ['--input', KNIGHT_CSV, '--id', 'id', '--target', 'task1_target', '--pred', 'CanAT-score', '--json', '--no-progress'];

describe('fuseflow eval --threads', () => {
  it('prints the same JSON with 1 and 3 threads (default metrics, bootstrap CIs keyed by --id, per fold)', async () => {
    const args = [...BASE, '--ci', '20', '--fold', 'fold', '--batch-size', '7'];
    const one = await fuseflowEval(...args, '--threads', '1');
    const three = await fuseflowEval(...args, '--threads', '3');
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(three.out).toBe(one.out);
    const metrics = (JSON.parse(one.out) as { metrics: Record<string, unknown> }).metrics;
    expect(Object.keys(metrics)).toContain('auc_per_fold');
  }, 60_000);

  it('refuses a thread count outside 1 to 256 as bad usage', async () => {
    const run = await fuseflowEval(...BASE, '--threads', '0');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--threads must be a whole number from 1 to 256, got '0'/);
  });
});

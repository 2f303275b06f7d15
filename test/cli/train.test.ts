import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/train.js';

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

  it('exits 2 with usage for a missing --target or an unknown option', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run([CSV, '--out', join(dir, 'x')])).toBe(2);
    expect(await run([CSV, '--target', 'y', '--out', join(dir, 'x'), '--bogus'])).toBe(2);
    spy.mockRestore();
  });

  it('names the columns when the target is not one of them', async () => {
    await expect(run([CSV, '--no-header', '--skip-lines', '1', '--target', 'label', '--out', join(dir, 'y'), '--backend', 'cpu'])).rejects.toThrow(/--target 'label' is not a column.*col_0/);
  });
});

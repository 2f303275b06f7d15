import { describe, expect, it } from 'vitest';
import { formatProgress, progressPrinter, ProgressMeter, type EvalProgress } from '../../src/eval/evaluate-progress.js';

const at = (pass: number, rows: number, done: boolean): EvalProgress => ({ pass, description: 'read', rows, elapsedMs: 2000, rowsPerSecond: rows / 2, done });

describe('progress', () => {
  it('formats rows and rows per second', () => {
    expect(formatProgress(at(1, 1_250_000, false))).toBe('pass 1 (read): 1,250,000 rows, 625,000 rows/s');
    expect(formatProgress(at(2, 10, true))).toBe('pass 2 (read): 10 rows, 5 rows/s, done');
  });

  it('prints nothing for passes too short for a periodic report, and closes the ones it started', () => {
    const lines: string[] = [];
    const print = progressPrinter((l) => lines.push(l));
    print(at(1, 100, true));
    print(at(2, 5000, false));
    print(at(2, 9000, false));
    print(at(2, 10_000, true));
    print(at(3, 10_000, true));
    expect(lines).toEqual([formatProgress(at(2, 5000, false)), formatProgress(at(2, 9000, false)), formatProgress(at(2, 10_000, true))]);
  });

  it('meters rows and reports at most once per interval plus at the end', () => {
    const seen: EvalProgress[] = [];
    const meter = new ProgressMeter((p) => seen.push(p), 60_000);
    meter.start(1, 'read');
    for (let i = 0; i < 10; i++) meter.tick(100);
    meter.finish();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ pass: 1, rows: 1000, done: true });
  });
});

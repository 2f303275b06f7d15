import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runKnightRiskGroups, type KnightRiskGroupsSummary } from '../../examples/knight-risk-groups.js';
import { tempFolder } from '../temp-folder.js';
import { mannWhitney } from './mann-whitney.js';

const { dir } = tempFolder('fuseflow-knight-example-');

function readCsv(file: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  return { header: (head as string).split(','), rows: lines.map((l) => l.split(',')) };
}

describe('examples/knight-risk-groups.ts on a synthetic KNIGHT replica', () => {
  let s: KnightRiskGroupsSummary;
  const lines: string[] = [];
  beforeAll(async () => {
    s = await runKnightRiskGroups((l) => lines.push(l), { outDir: join(dir, 'out'), replicates: 200 });
  }, 150_000);

  it('trains CT + clinical through the cache and worker augmentation and writes the challenge submission files', () => {
    expect(s.cacheHit).toBe(false);
    expect(s.cases).toEqual({ train: 30, validation: 10, shape: [4, 8, 8] });
    expect(lines.some((l) => l.includes('epoch 15/15'))).toBe(true);
    const t1 = readCsv(s.files.task1);
    const t2 = readCsv(s.files.task2);
    const tg = readCsv(s.files.targets);
    expect(t1.header).toEqual(['case_id', 'NoAT-score', 'CanAT-score']);
    expect(t2.header).toEqual(['case_id', 'B-score', 'LR-score', 'IR-score', 'HR-score', 'VHR-score']);
    expect(tg.header).toEqual(['case_id', 'Task1-target', 'Task2-target']);
    expect(t2.rows).toHaveLength(10);
    t2.rows.forEach((r, i) => {
      const p = r.slice(1).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(t1.rows[i]?.[0]).toBe(r[0]);
      expect(Number(t1.rows[i]?.[2])).toBeCloseTo((p[3] as number) + (p[4] as number), 5);
      // the task 1 target follows the task 2 target: HR or VHR is CanAT
      expect(Number(tg.rows[i]?.[1])).toBe(Number(tg.rows[i]?.[2]) >= 3 ? 1 : 0);
    });
  });

  it('evaluates the submission files joined by case id: AUCs and accuracy equal counts over the files, CIs bracket them', () => {
    const t1 = readCsv(s.files.task1).rows;
    const t2 = readCsv(s.files.task2).rows;
    const tg = readCsv(s.files.targets).rows;
    const y1 = tg.map((r) => Number(r[1]) === 1);
    const y2 = tg.map((r) => Number(r[2]));
    expect(s.task1Auc.org).toBeCloseTo(
      mannWhitney(
        t1.map((r) => Number(r[2])),
        y1,
      ),
      5,
    );
    const present = [0, 1, 2, 3, 4].filter((k) => y2.includes(k) && y2.some((y) => y !== k));
    const perClass = present.map((k) =>
      mannWhitney(
        t2.map((r) => Number(r[k + 1])),
        y2.map((y) => y === k),
      ),
    );
    expect(s.task2MacroAuc.org).toBeCloseTo(perClass.reduce((a, b) => a + b, 0) / perClass.length, 5);
    const argmax = t2.map((r) => {
      const p = r.slice(1).map(Number);
      return p.indexOf(Math.max(...p));
    });
    expect(s.task2Accuracy.org).toBeCloseTo(argmax.filter((k, i) => k === y2[i]).length / y2.length, 12);
    for (const ci of [s.task1Auc, s.task2MacroAuc, s.task2Accuracy]) {
      expect(ci.conf_lower).toBeLessThanOrEqual(ci.org + 1e-12);
      expect(ci.conf_upper).toBeGreaterThanOrEqual(ci.org - 1e-12);
    }
    expect(s.task1Auc.org).toBeGreaterThan(0.5); // the seeded run learns the HU and size signal
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIsicClassification, type IsicClassificationSummary } from '../../examples/isic-classification.js';
import { isic } from '../../src/datasets/isic/isic.js';
import { tempFolder } from '../temp-folder.js';
import { mannWhitney } from './mann-whitney.js';

const { dir } = tempFolder('fuseflow-isic-example-');
const outDir = join(dir, 'out');

describe('examples/isic-classification.ts on a synthetic ISIC 2019 replica', () => {
  let s: IsicClassificationSummary;
  const lines: string[] = [];
  beforeAll(async () => {
    s = await runIsicClassification((l) => lines.push(l), { outDir, replicates: 200 });
  }, 120_000);

  it('trains image + metadata through the cache and worker augmentation on a lesion-grouped split', () => {
    expect(s.cacheHit).toBe(false);
    expect(s.images).toEqual({ train: 48, validation: 16, shape: [32, 32, 3] });
    const b = isic({ root: join(outDir, 'replica'), size: [32, 32], folds: 4, seed: 0 });
    const valid = new Set(b.folds[0]);
    const lesionsIn = (inValid: boolean): Set<string> => new Set(b.ids.flatMap((id, i) => (valid.has(id) === inValid ? [b.lesions[i] as string] : [])));
    const trainLesions = lesionsIn(false);
    expect([...lesionsIn(true)].filter((l) => trainLesions.has(l))).toEqual([]);
    expect(lines.some((l) => l.includes('epoch 6/6'))).toBe(true);
  });

  it("evaluates the best checkpoint's predictions with bootstrap CIs; the AUC equals a Mann–Whitney count over the Arrow file", () => {
    const t = tableFromIPC(readFileSync(s.predictionFile));
    expect(t.numRows).toBe(16);
    const target = Array.from(t.getChild('target')?.toArray() as ArrayLike<number>);
    const p0 = Array.from(t.getChild('pred_0')?.toArray() as ArrayLike<number>);
    expect(s.melanomaAuc.org).toBeCloseTo(
      mannWhitney(
        p0,
        target.map((y) => y === 0),
      ),
      12,
    );
    const argmax = Array.from({ length: t.numRows }, (_, r) => {
      const row = Array.from({ length: 9 }, (_, k) => t.getChild(`pred_${k}`)?.get(r) as number);
      return row.indexOf(Math.max(...row));
    });
    expect(s.accuracy.org).toBeCloseTo(argmax.filter((k, r) => k === target[r]).length / t.numRows, 12);
    for (const ci of [s.melanomaAuc, s.accuracy]) {
      expect(ci.conf_lower).toBeLessThanOrEqual(ci.org);
      expect(ci.conf_upper).toBeGreaterThanOrEqual(ci.org);
    }
    expect(s.melanomaAuc.org).toBeGreaterThan(0.5); // the colour and age signal is learned (seeded run)
  });

  it('a second run reads the static stage from the cache', async () => {
    const again = await runIsicClassification(() => undefined, { outDir, epochs: 1, replicates: 20 });
    expect(again.cacheHit).toBe(true);
  }, 60_000);
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../../src/core/errors.js';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPLICA_RUN, runKnightMultimodal, signalReplicaCases, type KnightMultimodalSummary } from '../../examples/knight-multimodal.js';
import { writeKnightReplica } from '../../examples/knight-replica.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('ff-knight-mm-');
const root = join(dir, 'knight', 'data');
const N = 24;

describe('examples/knight-multimodal.ts on a KNIGHT replica', () => {
  let s: KnightMultimodalSummary;
  const lines: string[] = [];
  beforeAll(async () => {
    await writeKnightReplica(root, signalReplicaCases(N));
    s = await runKnightMultimodal((l) => lines.push(l), {
      root,
      outDir: join(dir, 'out'),
      spacing: [...REPLICA_RUN.spacing],
      size: [...REPLICA_RUN.size],
      folds: REPLICA_RUN.folds,
      epochs: REPLICA_RUN.epochs,
      replicates: 200,
    });
  }, 180_000);

  it('cross-validates early and late fusion through the cache and worker augmentation, with CIs and reports', () => {
    expect(s.cases).toBe(N);
    expect(s.cacheHit).toBe(false);
    expect(s.rows.map((r) => r.model)).toEqual(['early fusion', 'late fusion']);
    for (const { cv } of s.rows) {
      const oof = tableFromIPC(readFileSync(cv.outOfFold));
      expect(oof.numRows).toBe(N);
      expect(new Set(oof.getChild('id')?.toArray() as string[]).size).toBe(N);
      const a = cv.pooled['auc'] as { org: number; conf_lower: number; conf_upper: number };
      expect(a.conf_lower).toBeLessThanOrEqual(a.org);
      expect(a.conf_upper).toBeGreaterThanOrEqual(a.org);
      expect(cv.perFold).toHaveLength(3);
      expect(existsSync(cv.reportPath as string)).toBe(true);
    }
    // the late-fusion model wrote both classifiers' outputs and their mean
    const late = s.rows[1]?.cv.folds[0]?.predictions as string;
    expect(tableFromIPC(readFileSync(late)).schema.fields.map((f) => f.name)).toEqual(['id', 'target', 'pred_0', 'pred_1']);
    expect(s.table).toMatch(/\| early fusion \| \d\.\d{3} \[/);
    expect(lines.join('\n')).toContain('folds balanced by label and sex, grouped by case: written to');
  });

  it('a second run on a relabelled data set is refused by the fold file, naming the case', async () => {
    const file = join(root, 'knight.json');
    const records = JSON.parse(readFileSync(file, 'utf8')) as { case_id: string; aua_risk_group: string }[];
    const r = records.find((x) => x.case_id === 'case_00003') as { aua_risk_group: string };
    expect(r.aua_risk_group).toBe('very_high_risk');
    r.aua_risk_group = 'low_risk';
    writeFileSync(file, JSON.stringify(records));
    const again = runKnightMultimodal(() => undefined, {
      root,
      outDir: join(dir, 'out'),
      spacing: [...REPLICA_RUN.spacing],
      size: [...REPLICA_RUN.size],
      folds: 3,
      epochs: 1,
      threads: 0,
    });
    await expect(again).rejects.toThrow(InputError);
    await expect(again).rejects.toThrow(/folds\.json: the data set changed since this fold file was written: 1 value changed \(case_00003: label 1 → 0\)/);
  }, 60_000);

  it('learns from the fused inputs: out-of-fold AUC above chance for both models', () => {
    for (const { cv } of s.rows) expect((cv.pooled['auc'] as { org: number }).org).toBeGreaterThan(0.6);
  });
});

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kits21Example } from '../../examples/kits21-segmentation.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-kits21-example-');

describe('the KiTS21 example', () => {
  it('trains a 3D U-Net through the cache and worker augmentation on the replica and scores the held-out fold with CIs', async () => {
    const lines: string[] = [];
    const r = await kits21Example({ outDir: dir, epochs: 8, replicates: 200, log: (l) => lines.push(l) });
    expect(r.train).toHaveLength(8);
    expect(r.validation).toHaveLength(4);
    expect(r.train.filter((id) => r.validation.includes(id))).toEqual([]);
    expect(r.cacheHit).toBe(false);
    expect(r.epochs).toBe(8);
    expect(readdirSync(join(dir, 'predictions')).sort()).toEqual(r.validation.map((id) => `${id}.nii.gz`).sort());
    expect(existsSync(join(dir, 'run', 'best.ckpt'))).toBe(true);
    const kidney = r.dice['kidney'];
    if (kidney === undefined) throw new Error('no kidney Dice');
    // the untrained network finds no kidney; a few epochs find most of it
    expect(kidney.org).toBeGreaterThan(0.4);
    expect(kidney.org).toBeGreaterThan((r.diceUntrained['kidney']?.org ?? 0) + 0.3);
    expect(kidney.conf_lower).toBeLessThanOrEqual(kidney.org);
    expect(kidney.conf_upper).toBeGreaterThanOrEqual(kidney.org);
    expect(lines.some((l) => /Dice kidney +0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]/.test(l))).toBe(true);
  }, 240_000);
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CACHE_FILES, openSampleCache, readManifest } from '../../src/cache/index.js';
import { getKey } from '../../src/core/sample.js';
import { killTestPipeline } from './test-ops.js';

const COUNT = 30;

/** Starts the child filler and SIGKILLs it once `after` ids are committed; returns the ids it reported. */
function fillThenKill(dir: string, after: number): Promise<{ committed: string[]; signal: NodeJS.Signals | null }> {
  const script = fileURLToPath(new URL('./fill-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(COUNT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const committed: string[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
      if (committed.length >= after) child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ committed, signal })));
}

describe('fill killed with SIGKILL, then resumed', () => {
  it('keeps every committed sample and fills only what is missing, without duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-kill-'));
    try {
      const { committed, signal } = await fillThenKill(dir, 6);
      expect(signal).toBe('SIGKILL');
      expect(committed.length).toBeGreaterThanOrEqual(6);
      expect(committed.length).toBeLessThan(COUNT);

      const cache = openSampleCache({ dir, pipeline: killTestPipeline(), audit: false });
      const ids = Array.from({ length: COUNT }, (_, i) => `id-${i}`);
      for (const id of committed) expect(cache.has(id)).toBe(true);
      const before = cache.status().entries;
      expect(before).toBeGreaterThanOrEqual(committed.length);

      const report = await cache.fill(ids, { threads: 2, idsPerTask: 2 });
      expect(report.alreadyCached).toBe(before);
      expect(report.computed).toBe(COUNT - before);
      expect(report.failed).toEqual([]);

      const m = readManifest(join(cache.folder, CACHE_FILES.manifest));
      // 30 ids, one dropped (still one row), one split in two: 31 rows.
      expect(m.numRows).toBe(COUNT + 1);
      const initial = m.getChild('initialSampleId')?.toArray() as string[];
      expect(new Set(initial)).toEqual(new Set(ids));
      const outIds = (m.getChild('sampleId')?.toArray() as (string | null)[]).filter((x) => x !== null);
      expect(outIds).toHaveLength(COUNT);
      expect(new Set(outIds).size).toBe(outIds.length);
      expect(cache.status()).toMatchObject({ entries: COUNT, outputs: COUNT, dropped: 1 });
      const split = (await cache.get('id-5')) ?? [];
      expect(split.map((s) => getKey(s, 'data.sampleId'))).toEqual(['id-5#0', 'id-5#1']);
      // Every payload — committed before the kill or after the restart — equals a fresh recompute
      // of the static pipeline (verify re-derives the stored fingerprint and reruns each id).
      const checked: string[] = [];
      expect(await cache.verify({ recompute: true, onEntry: (id) => void checked.push(id) })).toEqual([]);
      expect(new Set(checked)).toEqual(new Set(ids));
      await cache.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

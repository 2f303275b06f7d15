import { describe, expect, it, vi } from 'vitest';
import { createSample, setKey } from '../../../src/core/index.js';
import { pipeline, printKeys, printShapes, runPipeline } from '../../../src/ops/index.js';

describe('debug ops', () => {
  it('print the first N samples and listed ids, and pass samples through unchanged', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const p = pipeline([printKeys({ first: 1 }), printShapes({ ids: ['c'] })]);
      const img = { dtype: 'int16', shape: [2, 3], data: new Int16Array(6) };
      for (const id of ['a', 'b', 'c']) {
        const s = setKey(createSample(id), 'data.img', img);
        expect(await runPipeline(p, s, { seed: 0, epoch: 0 })).toEqual([s]);
      }
    } finally {
      spy.mockRestore();
    }
    const text = lines.join('');
    expect(text).toContain("sample 'a' keys:\n  data.sampleId\n  data.initialSampleId\n  data.img");
    expect(text).not.toContain("sample 'b'");
    expect(text).toContain("sample 'c' shapes:\n  data.img: int16[2,3]");
  });

  it('refuses options that would print nothing', () => {
    expect(() => printKeys({})).toThrow(/give 'first' > 0 or some 'ids'/);
  });
});

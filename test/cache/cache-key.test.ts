import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/cache-key.js';
import type { PipelineSpec } from '../../src/ops/pipeline.js';

const spec = (ops: PipelineSpec['ops']): PipelineSpec => ({ name: 'static', opIndexBase: 0, ops });

describe('cacheKey', () => {
  const base = spec([
    { name: 'a.load', version: 1, options: { key: 'img', spacing: [1, 1, 2], mode: 'linear' } },
    { name: 'a.norm', version: 2, options: { key: 'img', mean: 0, std: 1 } },
  ]);

  it('ignores key order in options', () => {
    const reordered = spec([
      { name: 'a.load', version: 1, options: { mode: 'linear', spacing: [1, 1, 2], key: 'img' } },
      { options: { std: 1, key: 'img', mean: 0 }, version: 2, name: 'a.norm' },
    ]);
    expect(cacheKey(reordered)).toBe(cacheKey(base));
  });

  it('changes with any option, version, op order, op id or salt', () => {
    const k = cacheKey(base);
    const variants: PipelineSpec[] = [
      spec([{ ...base.ops[0]!, options: { ...base.ops[0]!.options, spacing: [1, 1, 3] } }, base.ops[1]!]),
      spec([base.ops[0]!, { ...base.ops[1]!, options: { ...base.ops[1]!.options, std: 2 } }]),
      spec([base.ops[0]!, { ...base.ops[1]!, version: 3 }]),
      spec([base.ops[1]!, base.ops[0]!]),
      spec([base.ops[0]!]),
      spec([base.ops[0]!, { ...base.ops[1]!, id: 'norm' }]),
      spec([{ ...base.ops[0]!, options: { ...base.ops[0]!.options, extra: true } }, base.ops[1]!]),
    ];
    const keys = variants.map((v) => cacheKey(v));
    for (const other of keys) expect(other).not.toBe(k);
    expect(new Set(keys).size).toBe(keys.length);
    expect(cacheKey(base, 'release-2')).not.toBe(k);
  });

  it('does not depend on where a user op module lives', () => {
    const withModule = spec([{ ...base.ops[0]!, module: '/home/a/ops.js' }, base.ops[1]!]);
    expect(cacheKey(withModule)).toBe(cacheKey(base));
  });
});

import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/core/tensor.js';
import { Rng } from '../../../src/core/rng.js';
import { perplexity } from '../../../src/eval/sequence/perplexity.js';
import { countTokens } from '../../../src/eval/sequence/count-tokens.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';

describe('sequence metrics (FuseMedML seq_gen tests)', () => {
  it('seq_gen_2: 10 sequences of arange(5000), ignore 4999 → seq_num 10, token_num 4999', () => {
    const seqs = Array.from({ length: 10 }, (_, s) =>
      tensor(
        'int32',
        [500],
        Int32Array.from({ length: 500 }, (_, j) => s * 500 + j),
      ),
    );
    const batches = seqs.map((t) => ({ tokens: [t] }));
    expect(runMetric(countTokens({ encoderInput: 'tokens', ignoreIndex: 4999 }), () => batches).result).toEqual({ seq_num: 10, token_num: 4999 });
  });
  it('seq_gen_0/1: perplexity = exp(mean −log p(target)), the same whole and in batches of 100', () => {
    // torch's RNG is not portable: softmax of seeded normals, 1000 sequences × 7 tokens × 100 words.
    const rng = Rng.fromParts([1234, 'perplexity']);
    const seqs = Array.from({ length: 1000 }, () => {
      const p = new Float32Array(700);
      for (let j = 0; j < 7; j++) {
        let sum = 0;
        for (let v = 0; v < 100; v++) sum += p[j * 100 + v] = Math.exp(rng.normal());
        for (let v = 0; v < 100; v++) p[j * 100 + v] = (p[j * 100 + v] as number) / sum;
      }
      return { probs: tensor('float32', [7, 100], p), target: Int32Array.from({ length: 7 }, () => rng.int(0, 99)) };
    });
    let nll = 0;
    for (const s of seqs) for (let j = 0; j < 7; j++) nll -= Math.log(s.probs.data[j * 100 + (s.target[j] as number)] as number);
    const want = Math.exp(nll / 7000);
    const m = perplexity({ preds: 'probs', target: 'target' });
    const whole = runMetric(m, () => [{ probs: seqs.map((s) => s.probs), target: seqs.map((s) => s.target) }]).result;
    expect(whole).toBeCloseTo(want, 9);
    const hundreds = Array.from({ length: 10 }, (_, b) => ({
      probs: seqs.slice(b * 100, b * 100 + 100).map((s) => s.probs),
      target: seqs.slice(b * 100, b * 100 + 100).map((s) => s.target),
    }));
    expect(runMetric(m, () => hundreds, { shards: 3 }).result).toBe(whole);
    // FuseMedML asserts 162.87 for torch draws of the same law; ours is another sample of it:
    // the mean NLL over 7,000 tokens has a standard error near 0.012, i.e. about ±2 in perplexity.
    expect(Math.abs(whole - 162.87)).toBeLessThan(8);
  });
  it('bad tokens and empty input', () => {
    const p = tensor('float32', [1, 3], Float32Array.from([0.2, 0.8, 0]));
    expect(() => runMetric(perplexity({ preds: 'p', target: 't' }), () => [{ p: [p], t: [[5]] }])).toThrow(/token id 5 .* outside the vocabulary of 3/);
    expect(() => runMetric(perplexity({ preds: 'p', target: 't' }), () => [{ p: [p], t: [[2]] }])).toThrow(/perplexity would be infinite/);
    expect(
      runMetric(perplexity({ preds: 'p', target: 't', ignoreIndex: 2 }), () => [{ p: [tensor('float32', [2, 3], Float32Array.from([0.2, 0.8, 0, 0.5, 0.25, 0.25]))], t: [[1, 2]] }])
        .result,
    ).toBeCloseTo(1 / 0.8, 6);
    expect(() => runMetric(perplexity({ preds: 'p', target: 't' }), () => [{ p: [], t: [] }])).toThrow(/no tokens/);
  });
});

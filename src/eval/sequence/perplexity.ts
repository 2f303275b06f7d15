/**
 * Perplexity of a sequence model: exp(Σ −log p(target token) / #tokens), over every token of
 * every sequence (FuseMedML's `MetricPerplexity`). Exact streaming sums: bounded state.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { ExactSum } from '../stats/exact-sum.js';
import { checkKey, column, rowCount, rowWhere } from '../metrics/columns.js';
import { sequenceOf } from './token-rows.js';

/** Options of `perplexity`. */
export interface PerplexityOptions {
  /** Result name. Default 'perplexity'. */
  readonly name?: string;
  /** Column of per-sequence probabilities, shape [length, vocabulary] (rows sum to 1). */
  readonly preds: string;
  /** Column of per-sequence target token ids, shape [length]. */
  readonly target: string;
  /** Target id to leave out (padding). Default none. */
  readonly ignoreIndex?: number;
  readonly idKey?: string;
}

/** Σ −log p and the token count. */
export interface PerplexityState {
  readonly nll: ExactSum;
  tokens: number;
}

/**
 * Perplexity.
 *
 * Reads `preds` and `target` per sequence; writes a number under `name`. Static.
 *
 * @example
 * const m = perplexity({ preds: 'probs', target: 'tokens', ignoreIndex: 0 });
 * @throws OptionsError on bad options; MetricInputError on a shape mismatch, a token id outside
 *   the vocabulary, a zero probability of the target, or no token.
 */
export function perplexity(options: PerplexityOptions): Metric<PerplexityState, number> {
  const name = options.name ?? 'perplexity';
  checkKey(name, 'preds', options.preds);
  checkKey(name, 'target', options.target);
  return {
    name,
    init: () => ({ nll: new ExactSum(), tokens: 0 }),
    update(state, batch) {
      const n = rowCount(batch, [options.preds, options.target], name);
      const pc = column(batch, options.preds, name);
      const tc = column(batch, options.target, name);
      for (let i = 0; i < n; i++) {
        const p = sequenceOf(pc[i]);
        const t = sequenceOf(tc[i]);
        if (p === undefined || t === undefined || p.shape.length !== 2 || p.shape[0] !== t.data.length) {
          throw new MetricInputError(name, `expected probabilities [length, vocabulary] and targets [length] of the same length`, rowWhere(batch, i, options.preds, options.idKey));
        }
        const vocab = p.shape[1] as number;
        for (let j = 0; j < t.data.length; j++) {
          const id = t.data[j] as number;
          if (id === options.ignoreIndex) continue;
          if (!Number.isInteger(id) || id < 0 || id >= vocab)
            throw new MetricInputError(name, `token id ${id} at position ${j} is outside the vocabulary of ${vocab}`, rowWhere(batch, i, options.target, options.idKey));
          const q = p.data[j * vocab + id] as number;
          if (!(q > 0))
            throw new MetricInputError(
              name,
              `probability ${q} of the target token at position ${j} (perplexity would be infinite)`,
              rowWhere(batch, i, options.preds, options.idKey),
            );
          state.nll.add(-Math.log(q));
          state.tokens++;
        }
      }
      return state;
    },
    merge: (a, b) => ({ nll: a.nll.clone().addSum(b.nll), tokens: a.tokens + b.tokens }),
    compute(state) {
      if (state.tokens === 0) throw new MetricInputError(name, 'no tokens to evaluate');
      return Math.exp(state.nll.value() / state.tokens);
    },
  };
}

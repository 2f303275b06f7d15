/**
 * Sequence and token counts (FuseMedML's `MetricCountSeqAndTokens`): sequences seen and tokens
 * that are not the padding id. Two counters: bounded and mergeable.
 */
import type { Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { checkKey, column, rowWhere } from '../metrics/columns.js';
import { sequenceOf } from './token-rows.js';

/** Options of `countTokens`. */
export interface CountTokensOptions {
  /** Result name. Default 'count'. */
  readonly name?: string;
  /** Column of token-id sequences (encoder input). */
  readonly encoderInput: string;
  /** Optional second column (decoder input) whose tokens are counted too. */
  readonly decoderInput?: string;
  /** Token id not counted (padding). Default none. */
  readonly ignoreIndex?: number;
}

/** `{ seq_num, token_num }` (FuseMedML's keys). */
export interface TokenCounts {
  seq_num: number;
  token_num: number;
}

/**
 * Counts sequences and tokens.
 *
 * Reads `encoderInput` (and `decoderInput`); writes `{ seq_num, token_num }` under `name`. Static.
 *
 * @example
 * const m = countTokens({ encoderInput: 'tokens', ignoreIndex: 0 });
 * @throws OptionsError on bad options; MetricInputError on a cell that is not a sequence.
 */
export function countTokens(options: CountTokensOptions): Metric<TokenCounts, TokenCounts> {
  const name = options.name ?? 'count';
  checkKey(name, 'encoderInput', options.encoderInput);
  if (options.decoderInput !== undefined) checkKey(name, 'decoderInput', options.decoderInput);
  const keys = [options.encoderInput, ...(options.decoderInput === undefined ? [] : [options.decoderInput])];
  return {
    name,
    init: () => ({ seq_num: 0, token_num: 0 }),
    update(state, batch) {
      keys.forEach((key, k) => {
        const col = column(batch, key, name);
        for (let i = 0; i < col.length; i++) {
          const s = sequenceOf(col[i]);
          if (s === undefined) throw new MetricInputError(name, 'expected a token sequence', rowWhere(batch, i, key, undefined));
          if (k === 0) state.seq_num++;
          for (let j = 0; j < s.data.length; j++) if (s.data[j] !== options.ignoreIndex) state.token_num++;
        }
      });
      return state;
    },
    merge: (a, b) => ({ seq_num: a.seq_num + b.seq_num, token_num: a.token_num + b.token_num }),
    compute: (s) => ({ ...s }),
  };
}

import { SAMPLE_ID_KEY, INITIAL_SAMPLE_ID_KEY, getKey, hasKey, setKey, type Sample } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKeys } from '../validate.js';

/** Options of {@link keepKeys}. */
export interface KeepKeysOptions {
  /** Key paths to keep (a branch keeps its whole sub-tree). The sample ids are always kept. */
  readonly keys: readonly string[];
}

/**
 * Replaces the sample by one holding only `keys` and the sample ids (FuseMedML's
 * OpKeepKeypaths). Reads `keys`. Static.
 * @example keepKeys({ keys: ['data.input.img', 'data.gt.label'] })
 * @throws {MissingKeyError} (as an OpError) when a kept key is absent.
 */
export const keepKeys = defineOp<KeepKeysOptions>({
  name: 'keys.keep',
  version: 1,
  kind: 'static',
  validate: (o) => checkKeys('keys.keep', 'keys', o.keys),
  apply: (sample, _ctx, o) => {
    let out: Sample = {};
    for (const key of [SAMPLE_ID_KEY, INITIAL_SAMPLE_ID_KEY]) if (hasKey(sample, key)) out = setKey(out, key, getKey(sample, key));
    for (const key of o.keys) out = setKey(out, key, getKey(sample, key));
    return out;
  },
});

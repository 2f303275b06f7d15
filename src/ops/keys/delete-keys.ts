import { deleteKey, hasKey, type Sample } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKeys } from '../validate.js';

/** Options of {@link deleteKeys}. */
export interface DeleteKeysOptions {
  /** Key paths to delete (a branch deletes its whole sub-tree). */
  readonly keys: readonly string[];
  /** Fail when a key is absent. Default `true` (FuseMedML raises too). */
  readonly strict?: boolean;
}

/**
 * Deletes key paths (FuseMedML's OpDeleteKeypaths). Writes `keys`. Static.
 * @example deleteKeys({ keys: ['data.raw'] })
 * @throws {MissingKeyError} (as an OpError) for an absent key when `strict`.
 */
export const deleteKeys = defineOp<DeleteKeysOptions>({
  name: 'keys.delete',
  version: 1,
  kind: 'static',
  validate: (o) => checkKeys('keys.delete', 'keys', o.keys),
  apply: (sample, _ctx, o) => {
    let out: Sample = sample;
    for (const key of o.keys) {
      if (o.strict === false && !hasKey(out, key)) continue;
      out = deleteKey(out, key);
    }
    return out;
  },
});

import { setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';

/** Options of {@link set}. */
export interface SetOptions {
  /** Key path to write. */
  readonly key: string;
  /** Plain-data value to store (shared, not copied: treat it as read-only). */
  readonly value: unknown;
}

/**
 * Sets `key` to a constant value (FuseMedML's OpSet). Writes `key`. Static.
 * @example set({ key: 'data.site', value: 'A' })
 * @throws {OptionsError} when `key` is not a key path.
 */
export const set = defineOp<SetOptions>({
  name: 'keys.set',
  version: 1,
  kind: 'static',
  validate: (o) => checkKey('keys.set', 'key', o.key),
  apply: (sample, _ctx, o) => setKey(sample, o.key, o.value),
});

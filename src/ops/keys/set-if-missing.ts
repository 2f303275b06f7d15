import { hasKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';

/** Options of {@link setIfMissing}. */
export interface SetIfMissingOptions {
  /** Key path to write when absent. */
  readonly key: string;
  /** Value stored when `key` is absent. */
  readonly value: unknown;
}

/**
 * Sets `key` only when the sample does not have it (FuseMedML's OpSetIfNotExist). Reads/writes `key`. Static.
 * @example setIfMissing({ key: 'data.weight', value: 1 })
 * @throws {OptionsError} when `key` is not a key path.
 */
export const setIfMissing = defineOp<SetIfMissingOptions>({
  name: 'keys.setIfMissing',
  version: 1,
  kind: 'static',
  validate: (o) => checkKey('keys.setIfMissing', 'key', o.key),
  apply: (sample, _ctx, o) => (hasKey(sample, o.key) ? sample : setKey(sample, o.key, o.value)),
});

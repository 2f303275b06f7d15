import { OptionsError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';

/** Options of {@link lookup}. */
export interface LookupOptions {
  readonly inKey: string;
  /** Default `inKey`. */
  readonly outKey?: string;
  /** Mapping from the value (as a string) to the output value. */
  readonly map: Readonly<Record<string, unknown>>;
  /** What to do with a value absent from `map`: `'error'` (default) or `'keep'` it. */
  readonly onMissing?: 'error' | 'keep';
}

/**
 * Maps the value at `inKey` through a table (FuseMedML's OpLookup), e.g. class names to indices.
 * Reads `inKey`, writes `outKey`. Static.
 * @example lookup({ inKey: 'data.diagnosis', outKey: 'data.label', map: { M: 0, B: 1 } })
 * @throws {Error} (as an OpError) naming the value and the known ones when it is not in `map`.
 */
export const lookup = defineOp<LookupOptions>({
  name: 'keys.lookup',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('keys.lookup', 'inKey', o.inKey);
    if (typeof o.map !== 'object' || o.map === null) throw new OptionsError(`op 'keys.lookup': option 'map' must be an object`);
  },
  apply: (sample, _ctx, o) => {
    const value = String(getKey(sample, o.inKey));
    const outKey = o.outKey ?? o.inKey;
    if (Object.prototype.hasOwnProperty.call(o.map, value)) return setKey(sample, outKey, o.map[value]);
    if (o.onMissing === 'keep') return outKey === o.inKey ? sample : setKey(sample, outKey, getKey(sample, o.inKey));
    throw new Error(`value '${value}' at key '${o.inKey}' is not in the lookup table (known: ${Object.keys(o.map).slice(0, 10).join(', ')})`);
  },
});

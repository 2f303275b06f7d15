import { TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { allocate, isTensor } from '../../core/tensor.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';
import { describeValue } from '../values.js';

/** Options of {@link replace}. */
export interface ReplaceOptions {
  readonly inKey: string;
  /** Default `inKey`. */
  readonly outKey?: string;
  /** Values to find: one value, or a list meaning "any of these" (FuseMedML's OpReplaceAnyElements). */
  readonly find: string | number | readonly (string | number)[];
  readonly replaceWith: string | number;
}

/**
 * Replaces elements equal to `find` (FuseMedML's OpReplaceElements / OpReplaceAnyElements): in a
 * string, each occurrence (each character of the list when `find` is a list of characters); in
 * an array or tensor, each equal element. Reads `inKey`, writes `outKey`. Static.
 * @example replace({ inKey: 'data.seg', find: [2, 3], replaceWith: 0 })
 * @throws {TypeMismatchError} (as an OpError) for a value that is not a string, array or tensor.
 */
export const replace = defineOp<ReplaceOptions>({
  name: 'keys.replace',
  version: 1,
  kind: 'static',
  validate: (o) => checkKey('keys.replace', 'inKey', o.inKey),
  apply: (sample, _ctx, o) => {
    const value = getKey(sample, o.inKey);
    const finds = Array.isArray(o.find) ? (o.find as readonly (string | number)[]) : [o.find as string | number];
    const hit = new Set<unknown>(finds);
    let out: unknown;
    if (typeof value === 'string') {
      out = finds.reduce<string>((s, f) => s.split(String(f)).join(String(o.replaceWith)), value);
    } else if (Array.isArray(value)) {
      out = value.map((x: unknown) => (hit.has(x) ? o.replaceWith : x));
    } else if (isTensor(value)) {
      const data = allocate(value.dtype, value.data.length);
      const src = value.data;
      const to = Number(o.replaceWith);
      for (let i = 0; i < src.length; i++) data[i] = hit.has(src[i]) ? to : (src[i] as number);
      out = { dtype: value.dtype, shape: value.shape, data };
    } else {
      throw new TypeMismatchError(`key '${o.inKey}': expected a string, array or tensor, got ${describeValue(value)}`);
    }
    return setKey(sample, o.outKey ?? o.inKey, out);
  },
});

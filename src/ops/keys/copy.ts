import { getKey, setKey } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';

/** Options of {@link copy}. */
export interface CopyOptions {
  /** Source key path. */
  readonly inKey: string;
  /** Destination key path. */
  readonly outKey: string;
}

/**
 * Copies the value at `inKey` to `outKey` by reference (values are immutable, so a reference is a
 * safe copy; FuseMedML's OpCopy in "reference" mode). Reads `inKey`, writes `outKey`. Static.
 * @example copy({ inKey: 'data.input.img', outKey: 'data.input.imgOriginal' })
 * @throws {MissingKeyError} (as an OpError) when `inKey` is absent.
 */
export const copy = defineOp<CopyOptions>({
  name: 'keys.copy',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('keys.copy', 'inKey', o.inKey);
    checkKey('keys.copy', 'outKey', o.outKey);
  },
  apply: (sample, _ctx, o) => setKey(sample, o.outKey, getKey(sample, o.inKey)),
});

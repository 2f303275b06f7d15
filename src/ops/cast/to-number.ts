import { TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey, type Sample } from '../../core/sample.js';
import { isTensor } from '../../core/tensor.js';
import { defineOp } from '../registry.js';
import { asKeyList, checkKey, checkKeys } from '../validate.js';
import { describeValue } from '../values.js';

/** Options of {@link toNumber}, {@link toInt} and {@link toFloat}. */
export interface ToNumberOptions {
  /** Key or keys to convert. */
  readonly keys: string | readonly string[];
}

/** A single number from a number, numeric string, boolean or one-element tensor/array. */
export function scalarOf(value: unknown, key: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (isTensor(value) && value.data.length === 1) return value.data[0] as number;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return value[0];
  throw new TypeMismatchError(`key '${key}': expected a number (or a one-element tensor), got ${describeValue(value)}`);
}

type Mode = 'number' | 'int' | 'float';

function convert(sample: Sample, keys: string | readonly string[], mode: Mode): Sample {
  let out = sample;
  for (const key of asKeyList(keys)) {
    const x = scalarOf(getKey(sample, key), key);
    if (mode === 'int' && !Number.isFinite(x)) throw new TypeMismatchError(`key '${key}': cannot convert ${x} to an integer`);
    out = setKey(out, key, mode === 'int' ? Math.trunc(x) : mode === 'float' ? Math.fround(x) : x);
  }
  return out;
}

/** The static op `name` converting its keys by `mode`. */
function castOp(name: string, mode: Mode) {
  return defineOp<ToNumberOptions>({
    name,
    version: 1,
    kind: 'static',
    validate: (o) => {
      if (typeof o.keys === 'string') checkKey(name, 'keys', o.keys);
      else checkKeys(name, 'keys', o.keys);
    },
    apply: (s, _ctx, o) => convert(s, o.keys, mode),
  });
}

/**
 * Converts to a JS number (float64). Reads/writes `keys`. Static.
 * @example toNumber({ keys: 'data.age' })
 * @throws {TypeMismatchError} (as an OpError) for non-numeric values.
 */
export const toNumber = castOp('cast.toNumber', 'number');

/**
 * Converts to an integer, truncating toward zero like Python's `int()` (FuseMedML's OpToInt). Static.
 * @example toInt({ keys: 'data.label' })
 * @throws {TypeMismatchError} (as an OpError) for non-numeric or non-finite values.
 */
export const toInt = castOp('cast.toInt', 'int');

/**
 * Converts to a float32-representable number (FuseMedML's OpToFloat). Static.
 * @example toFloat({ keys: ['data.x', 'data.y'] })
 * @throws {TypeMismatchError} (as an OpError) for non-numeric values.
 */
export const toFloat = castOp('cast.toFloat', 'float');

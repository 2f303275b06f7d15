import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { getKey, setKey } from '../../core/sample.js';
import { isTensor, tensor } from '../../core/tensor.js';
import { defineOp } from '../../ops/registry.js';
import { checkKey, checkNumber } from '../../ops/validate.js';

/** Options of {@link randOneHot}. */
export interface RandOneHotOptions {
  /** Key of a one-hot float32 vector (a category encoding). */
  readonly key: string;
  /** Probability of changing it. Default 0.05 (FuseMedML's ISIC metadata augmentation). */
  readonly prob?: number;
  /** `'set'`: the 1 moves to `index` (e.g. to "N/A", dropping the value); `'ranking'`: to a neighbouring position, −1 or +1 with equal chance (ordered bins). */
  readonly mode: 'set' | 'ranking';
  /** Target position in `'set'` mode. */
  readonly index?: number;
  /** `'ranking'`: positions that never move and are never moved to (e.g. the "missing" bin). Default none. */
  readonly freeze?: readonly number[];
}

const NAME = 'datasets.randOneHot';

/**
 * Random change of a one-hot category encoding (FuseMedML's `OpAugOneHot` under `OpRandApply`):
 * with probability `prob`, `'set'` mode moves the 1 to `index`; `'ranking'` mode moves it one
 * position down or up (clamped to the vector; a vector whose 1 is in `freeze`, or a move onto
 * a frozen position, is left as it is — FuseMedML would move the last age bin onto "missing").
 * An all-zero vector is left as it is. Reads and writes `key` (a float32 tensor). Random: draws
 * only from `ctx.rng`.
 * @example randOneHot({ key: 'data.input.clinical.encoding.age', mode: 'ranking', freeze: [6] })
 * @throws {OptionsError} for a bad mode, probability or index.
 * @throws {TypeMismatchError} (as an OpError) when `key` holds no vector, or `index` is past its end.
 */
export const randOneHot = defineOp<RandOneHotOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  module: import.meta.url,
  validate: (o) => {
    checkKey(NAME, 'key', o.key);
    if (o.prob !== undefined) checkNumber(NAME, 'prob', o.prob, { min: 0, max: 1 });
    if (o.mode !== 'set' && o.mode !== 'ranking') throw new OptionsError(`op '${NAME}': option 'mode' must be 'set' or 'ranking', got ${JSON.stringify(o.mode)}`);
    if (o.mode === 'set') checkNumber(NAME, 'index', o.index, { min: 0, integer: true });
    else if (o.index !== undefined) throw new OptionsError(`op '${NAME}': option 'index' is for mode 'set' only`);
    (o.freeze ?? []).forEach((f, i) => checkNumber(NAME, `freeze[${i}]`, f, { min: 0, integer: true }));
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? 0.05)) return sample;
    const v = getKey(sample, o.key);
    if (!isTensor(v) || v.shape.length !== 1) throw new TypeMismatchError(`op '${NAME}': key '${o.key}' of sample '${ctx.sampleId}' must hold a one-hot vector`);
    const n = v.shape[0] as number;
    const at = Array.from(v.data as ArrayLike<number>).indexOf(1);
    let to: number;
    if (o.mode === 'set') {
      to = o.index as number;
      if (to >= n) throw new TypeMismatchError(`op '${NAME}': index ${to} is past the end of the ${n}-vector at '${o.key}' (sample '${ctx.sampleId}')`);
    } else {
      const frozen = o.freeze ?? [];
      const step = ctx.rng.bool(0.5) ? 1 : -1;
      if (at < 0 || frozen.includes(at)) return sample;
      to = Math.min(n - 1, Math.max(0, at + step));
      if (frozen.includes(to)) return sample;
    }
    const out = tensor('float32', [n]);
    out.data[to] = 1;
    return setKey(sample, o.key, out);
  },
});

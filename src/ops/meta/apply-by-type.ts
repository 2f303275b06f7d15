import { OptionsError } from '../../core/errors.js';
import { keyPaths, type Sample } from '../../core/sample.js';
import { childContext, type Op, type OpSpec } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, kindOfChildren, toSpec, type OpLike } from '../child-ops.js';

/** One dispatch rule of {@link applyByType}. */
export interface TypeRule {
  /** Type name, matched against what `patterns` detect (e.g. `'image'`, `'seg'`). */
  readonly type: string;
  /** Op applied to each key of that type; the key is passed in option `keyOption`. */
  readonly op: OpLike;
}

/** Options of {@link applyByType}. */
export interface ApplyByTypeOptions {
  readonly rules: readonly TypeRule[];
  /**
   * Ordered `[regex, type]` pairs; a key's type is the first whose regex matches its path.
   * Default FuseMedML's imaging suffixes: `img` → image, `seg` → seg, `bbox` → bbox.
   */
  readonly patterns?: readonly (readonly [string, string])[];
  /** Option through which the key is handed to the op. Default `'key'`. */
  readonly keyOption?: string;
}

const DEFAULT_PATTERNS: readonly (readonly [string, string])[] = [
  ['seg[^.]*$', 'seg'],
  ['img[^.]*$', 'image'],
  ['bbox[^.]*$', 'bbox'],
];

/** The type of `key` by the first matching pattern, or undefined. */
export function detectType(key: string, patterns: readonly (readonly [string, string])[] = DEFAULT_PATTERNS): string | undefined {
  for (const [re, type] of patterns) if (new RegExp(re).test(key)) return type;
  return undefined;
}

interface Prepared {
  readonly patterns: readonly (readonly [string, string])[];
  readonly byType: ReadonlyMap<string, OpSpec>;
  readonly built: Map<string, Op<object>>;
}

/**
 * Applies an op to every key of a given type, the type detected from the key path (FuseMedML's
 * OpApplyTypes / OpApplyPatterns), e.g. normalize all images, nearest-resample all label maps.
 * Each key gets op id `<opId>.<key>`. Kind follows the rules' ops.
 * @example applyByType({ rules: [{ type: 'image', op: clip({ key: 'x', min: 0, max: 1 }) }] })
 * @throws {OptionsError} for an empty rule list or a bad pattern.
 */
export const applyByType = defineOp<ApplyByTypeOptions, Prepared>({
  name: 'meta.applyByType',
  version: 1,
  kind: (o) => kindOfChildren(o.rules.map((r) => r.op)),
  validate: (o) => {
    if (!Array.isArray(o.rules) || o.rules.length === 0) throw new OptionsError(`op 'meta.applyByType': option 'rules' must be a non-empty list`);
    o.rules.forEach((r, i) => checkOpLike('meta.applyByType', `rules[${i}].op`, r.op));
    for (const [re] of o.patterns ?? []) {
      try {
        new RegExp(re);
      } catch {
        throw new OptionsError(`op 'meta.applyByType': pattern ${JSON.stringify(re)} is not a valid regular expression`);
      }
    }
  },
  prepare: (o) => ({
    patterns: o.patterns ?? DEFAULT_PATTERNS,
    byType: new Map(o.rules.map((r) => [r.type, toSpec(r.op)])),
    built: new Map(),
  }),
  apply: async (sample, ctx, o, p) => {
    let current: Sample = sample;
    const keyOption = o.keyOption ?? 'key';
    for (const key of keyPaths(sample)) {
      const type = detectType(key, p.patterns);
      const spec = type === undefined ? undefined : p.byType.get(type);
      if (spec === undefined) continue;
      let op = p.built.get(key);
      if (op === undefined) {
        op = buildChild(spec, { [keyOption]: key });
        if (p.built.size < 1024) p.built.set(key, op);
      }
      const r = await op.apply(current, childContext(ctx, key));
      if (r === null) return null;
      if (Array.isArray(r)) throw new Error('meta.applyByType: the applied op may not split a sample');
      current = r as Sample;
    }
    return current;
  },
});

import { OptionsError } from '../../core/errors.js';
import { keyPaths, setKey, type Sample } from '../../core/sample.js';
import { childContext, type Op, type OpSpec } from '../op.js';
import { defineOp } from '../registry.js';
import { buildChild, checkOpLike, kindOfChildren, reverseChild, toSpec, wrapperKey, wrapperRecord, type OpLike } from '../child-ops.js';

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
  /** Whether any rule's op can reverse (then the keys it was applied to are recorded). */
  readonly reversible: boolean;
}

/** The op for `key` (built once per key, at most 1024 kept). */
function opFor(p: Prepared, spec: OpSpec, keyOption: string, key: string): Op<object> {
  let op = p.built.get(key);
  if (op === undefined) {
    op = buildChild(spec, { [keyOption]: key });
    if (p.built.size < 1024) p.built.set(key, op);
  }
  return op;
}

const isKeyList = (v: unknown): v is string[] => Array.isArray(v) && v.every((k) => typeof k === 'string');

/**
 * Applies an op to every key of a given type, the type detected from the key path (FuseMedML's
 * OpApplyTypes / OpApplyPatterns), e.g. normalize all images, nearest-resample all label maps.
 * Each key gets op id `<opId>.<key>`. Kind follows the rules' ops. When a rule's op can reverse,
 * the keys it was applied to are recorded at `<opId>.appliedKeys` and `reverse` undoes them,
 * last first.
 * @example applyByType({ rules: [{ type: 'image', op: clip({ key: 'x', min: 0, max: 1 }) }] })
 * @throws {OptionsError} for an empty rule list or a bad pattern.
 */
export const applyByType = defineOp<ApplyByTypeOptions, Prepared>({
  name: 'meta.applyByType',
  version: 2,
  kind: (o) => kindOfChildren(o.rules.map((r) => r.op)),
  validate: (o) => {
    const given: unknown = o.rules;
    if (!Array.isArray(given) || given.length === 0) throw new OptionsError(`op 'meta.applyByType': option 'rules' must be a non-empty list`);
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
    reversible: o.rules.some((r) => buildChild(toSpec(r.op)).reverse !== undefined),
  }),
  apply: async (sample, ctx, o, p) => {
    let current: Sample = sample;
    const keyOption = o.keyOption ?? 'key';
    const applied: string[] = [];
    for (const key of keyPaths(sample)) {
      const type = detectType(key, p.patterns);
      const spec = type === undefined ? undefined : p.byType.get(type);
      if (spec === undefined) continue;
      const r = await opFor(p, spec, keyOption, key).apply(current, childContext(ctx, key));
      if (r === null) return null;
      if (Array.isArray(r)) throw new Error('meta.applyByType: the applied op may not split a sample');
      current = r as Sample;
      applied.push(key);
    }
    return p.reversible ? setKey(current, wrapperKey(ctx.opId, 'appliedKeys'), applied) : current;
  },
  reverse: (sample, info, o, p) => {
    if (!p.reversible) return sample;
    const keys = wrapperRecord(sample, 'meta.applyByType', info.opId, 'appliedKeys', isKeyList, 'the list of keys it was applied to');
    let current = sample;
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const type = detectType(key, p.patterns);
      const spec = type === undefined ? undefined : p.byType.get(type);
      if (spec !== undefined) current = reverseChild(opFor(p, spec, o.keyOption ?? 'key', key), current, info, `${info.opId}.${key}`);
    }
    return current;
  },
});

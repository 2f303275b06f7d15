/**
 * Helpers for meta ops that hold other ops: children are kept as plain specs in the options (so
 * the meta op stays serializable and fingerprintable) and built once when the meta op is built.
 * A wrapper whose child can reverse records what it applied (whether it fired, which branch, the
 * drawn options) under its op id, and its own `reverse` undoes exactly that.
 */
import { OptionsError, TypeMismatchError } from '../core/errors.js';
import { getOr, sampleIdOf, type Sample } from '../core/sample.js';
import { specOf, type Op, type OpKind, type OpResult, type OpSpec } from './op.js';
import { createOp } from './registry.js';

/** A child op as given by the user: a built op or its spec. */
export type OpLike = Op<object> | OpSpec;

function isBuilt(op: OpLike): op is Op<object> {
  return typeof (op as Op<object>).apply === 'function';
}

/** The spec of a child op. */
export function toSpec(op: OpLike): OpSpec {
  return isBuilt(op) ? specOf(op) : op;
}

/** Throws unless `value` looks like an op or an op spec. */
export function checkOpLike(opName: string, field: string, value: unknown): void {
  const v = value as Partial<OpSpec> | undefined;
  if (typeof v !== 'object' || v === null || typeof v.name !== 'string' || typeof v.version !== 'number') {
    throw new OptionsError(`op '${opName}': option '${field}' must be an op (or op spec), got ${JSON.stringify(value)}`);
  }
}

/** Builds a child op from its spec, with options overridden by `overrides`. */
export function buildChild(spec: OpSpec, overrides: Readonly<Record<string, unknown>> = {}): Op<object> {
  return createOp({ ...spec, options: { ...spec.options, ...overrides } });
}

/** `'random'` when any child is random. */
export function kindOfChildren(children: readonly OpLike[]): OpKind {
  return children.some((c) => (isBuilt(c) ? c.kind : createOp(c).kind) === 'random') ? 'random' : 'static';
}

/** Applies `f` to each output sample of an op result (sync or async); `null` stays `null`. */
export function mapResult(result: OpResult | Promise<OpResult>, f: (s: Sample) => Sample): OpResult | Promise<OpResult> {
  const map = (r: OpResult): OpResult => (r === null ? null : Array.isArray(r) ? (r as readonly Sample[]).map(f) : f(r as Sample));
  const thenable = typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function';
  return thenable ? Promise.resolve(result).then(map) : map(result as OpResult);
}

/** What a reverse call receives (see {@link Op.reverse}). */
export type ReverseInfo = Parameters<NonNullable<Op<object>['reverse']>>[1];

/** Where a wrapper op keeps what it applied, for reverse: `<opId>.<field>`. */
export function wrapperKey(opId: string, field: string): string {
  return `${opId}.${field}`;
}

/**
 * What a wrapper op recorded for reverse at `<opId>.<field>`.
 * @throws {TypeMismatchError} naming the op and op id when the record is absent or of the wrong type
 * (the sample did not come through this op, or its record was removed).
 */
export function wrapperRecord<T>(sample: Sample, opName: string, opId: string, field: string, check: (v: unknown) => v is T, expected: string): T {
  const v = getOr<unknown>(sample, wrapperKey(opId, field), undefined);
  if (!check(v)) {
    throw new TypeMismatchError(
      `cannot reverse op '${opName}' (id '${opId}') on sample '${sampleIdOf(sample)}': expected ${expected} at '${wrapperKey(opId, field)}' recording what it applied, got ${v === undefined ? 'nothing' : JSON.stringify(v)} (was the sample produced by this pipeline, with its records kept?)`,
    );
  }
  return v;
}

/** Reverses `child` (run under op id `childOpId`), or returns the sample when the child has no reverse (it moved nothing). */
export function reverseChild(child: Op<object>, sample: Sample, info: ReverseInfo, childOpId: string): Sample {
  return child.reverse === undefined ? sample : child.reverse(sample, { ...info, opId: childOpId });
}

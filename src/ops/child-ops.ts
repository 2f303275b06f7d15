/**
 * Helpers for meta ops that hold other ops: children are kept as plain specs in the options (so
 * the meta op stays serializable and fingerprintable) and built once when the meta op is built.
 */
import { OptionsError } from '../core/errors.js';
import { specOf, type Op, type OpKind, type OpSpec } from './op.js';
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

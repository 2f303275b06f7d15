/**
 * Pipelines: an ordered list of ops with ids, and the per-sample runner that every execution
 * path (in-thread streams, worker threads, the cache filler) shares, so they give the same
 * output for the same seed.
 */
import { OpError, OptionsError } from '../core/errors.js';
import { SAMPLE_ID_KEY, sampleIdOf, type Sample } from '../core/sample.js';
import { SampleContext, specOf, type Op, type OpResult, type OpSpec } from './op.js';
import { findNonPlain } from './plain-data.js';
import { createOp } from './registry.js';

/** An ordered list of ops. `opIndexBase` offsets op indices (a dynamic pipeline after a static one). */
export interface Pipeline {
  readonly name: string;
  readonly ops: readonly Op<object>[];
  /** Op ids, one per op: the op's own id or `<name>.<index>.<opName>`. */
  readonly opIds: readonly string[];
  readonly opIndexBase: number;
}

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /** Name used in op ids. Default `'pipeline'`. */
  readonly name?: string;
  /** Added to each op's index when seeding its generator. Default 0. */
  readonly opIndexBase?: number;
}

/** Builds a pipeline from ops; op ids must be unique. */
export function pipeline(ops: readonly Op<object>[], options: PipelineOptions = {}): Pipeline {
  const name = options.name ?? 'pipeline';
  const opIds = ops.map((op, i) => op.id ?? `${name}.${i}.${op.name}`);
  const seen = new Set<string>();
  for (const id of opIds) {
    if (seen.has(id)) throw new OptionsError(`pipeline '${name}': op id '${id}' is used twice`);
    seen.add(id);
  }
  return { name, ops, opIds, opIndexBase: options.opIndexBase ?? 0 };
}

/** Serializable form of a pipeline. */
export interface PipelineSpec {
  readonly name: string;
  readonly opIndexBase: number;
  readonly ops: readonly (OpSpec & { readonly id?: string })[];
}

/** The pipeline's specs (for workers and fingerprints). */
export function pipelineSpec(p: Pipeline): PipelineSpec {
  return {
    name: p.name,
    opIndexBase: p.opIndexBase,
    ops: p.ops.map((op) => (op.id === undefined ? specOf(op) : { ...specOf(op), id: op.id })),
  };
}

/** Rebuilds a pipeline from its spec through the registry. */
export function pipelineFromSpec(spec: PipelineSpec): Pipeline {
  const ops = spec.ops.map((s) => {
    const op = createOp(s);
    return s.id === undefined ? op : { ...op, id: s.id };
  });
  return pipeline(ops, { name: spec.name, opIndexBase: spec.opIndexBase });
}

/** Which run a sample belongs to: seeds every random op. */
export interface RunKey {
  readonly seed: number;
  readonly epoch: number;
}

function isThenable(x: unknown): x is PromiseLike<OpResult> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * Runs `sample` through the pipeline. Returns the output samples (empty when dropped, several
 * when an op splits it). Stays synchronous while every op is; returns a promise otherwise.
 * @throws {OpError} naming op, op id and sample id when an op throws or returns a bad value.
 */
export function runPipeline(p: Pipeline, sample: Sample, run: RunKey): Sample[] | Promise<Sample[]> {
  const out: Sample[] = [];
  const pending = step(p, sample, 0, run, out);
  return pending === undefined ? out : pending.then(() => out);
}

function step(p: Pipeline, sample: Sample, from: number, run: RunKey, out: Sample[]): Promise<void> | undefined {
  let current = sample;
  for (let i = from; i < p.ops.length; i++) {
    const op = p.ops[i] as Op<object>;
    const opId = p.opIds[i] as string;
    const sampleId = sampleIdOf(current);
    const ctx = new SampleContext(sampleId, opId, p.opIndexBase + i, run.epoch, run.seed);
    let result: OpResult | Promise<OpResult>;
    try {
      result = op.apply(current, ctx);
    } catch (err) {
      throw wrap(op, opId, sampleId, err);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (r) => continueWith(p, r, i, run, out, op, opId, sampleId),
        (err: unknown) => {
          throw wrap(op, opId, sampleId, err);
        },
      );
    }
    if (result === null) return undefined;
    if (Array.isArray(result)) return fanOut(p, result as readonly Sample[], i, run, out, op, opId, sampleId);
    current = checked(result, op, opId, sampleId);
  }
  out.push(current);
  return undefined;
}

function continueWith(p: Pipeline, r: OpResult, i: number, run: RunKey, out: Sample[], op: Op<object>, opId: string, sampleId: string): Promise<void> | undefined {
  if (r === null) return undefined;
  if (Array.isArray(r)) return fanOut(p, r as readonly Sample[], i, run, out, op, opId, sampleId);
  return step(p, checked(r, op, opId, sampleId), i + 1, run, out);
}

function fanOut(p: Pipeline, children: readonly Sample[], i: number, run: RunKey, out: Sample[], op: Op<object>, opId: string, sampleId: string): Promise<void> | undefined {
  for (let c = 0; c < children.length; c++) {
    const child = checked(children[c], op, opId, sampleId);
    const pending = step(p, child, i + 1, run, out);
    if (pending !== undefined) {
      // Finish this child asynchronously, then the remaining ones in order.
      return pending.then(() => fanOut(p, children.slice(c + 1), i, run, out, op, opId, sampleId));
    }
  }
  return undefined;
}

/** An op's output sample, checked to be a plain-data sample (see plain-data.ts). */
function checked(value: unknown, op: Op<object>, opId: string, sampleId: string): Sample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OpError(op.name, opId, sampleId, new TypeError(`expected the op to return a sample, null or an array of samples, got ${value === null ? 'null' : typeof value}`));
  }
  const bad = findNonPlain(value);
  if (bad !== undefined) {
    const where = bad.path === '' ? 'itself' : `at '${bad.path}'`;
    throw new OpError(
      op.name,
      opId,
      sampleId,
      new TypeError(`the op's output holds ${bad.what} ${where}; samples must hold plain data (numbers, strings, arrays, plain objects, typed arrays)`),
    );
  }
  return value as Sample;
}

function wrap(op: Op<object>, opId: string, sampleId: string, err: unknown): OpError {
  return err instanceof OpError ? err : new OpError(op.name, opId, sampleId, err);
}

/** Reserved key re-exported for ops that split samples. */
export { SAMPLE_ID_KEY };

/** What {@link reversePipeline} undoes and along which key. */
export interface ReverseRequest {
  /** Key to map back (e.g. a prediction on the processed grid). */
  readonly keyToReverse: string;
  /** Key whose processing is followed (e.g. the input image). */
  readonly keyToFollow: string;
}

/**
 * Maps `keyToReverse` back through the pipeline's reversible ops, last op first, following what
 * each op recorded for `keyToFollow` (FuseMedML's pipeline reverse). Ops without `reverse`
 * (key bookkeeping, intensity ops) are skipped: they do not change geometry. Wrappers
 * (`randApply`, `oneOf`, `sample`, `repeat`, `cond`, `applyByType`) reverse exactly what they
 * applied — whether they fired, which branch, the drawn options, each step — from what they
 * recorded under their op id; an op that moves voxels but cannot be undone (`randElastic`)
 * refuses when it touched the followed key.
 * @throws {OpError} naming the op whose reverse failed or whose record is missing.
 */
export function reversePipeline(p: Pipeline, sample: Sample, request: ReverseRequest): Sample {
  let current = sample;
  for (let i = p.ops.length - 1; i >= 0; i--) {
    const op = p.ops[i] as Op<object>;
    if (op.reverse === undefined) continue;
    const opId = p.opIds[i] as string;
    try {
      current = op.reverse(current, { ...request, opId });
    } catch (err) {
      throw wrap(op, opId, sampleIdOf(current), err);
    }
  }
  return current;
}

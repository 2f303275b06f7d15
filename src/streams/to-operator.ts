/**
 * Pipelines as RxJS operators. {@link toOperator} flattens one→many outputs and drops what an op
 * dropped; {@link toGroupedOperator} keeps one output array per input, which is what the credit
 * gate needs to know when an input has left the chain.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { FuseflowError, OptionsError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import type { Op, OpContext, OpResult } from '../ops/op.js';
import { runPipeline, type Pipeline } from '../ops/pipeline.js';
import { orderedMap, type Cancellation } from './ordered-map.js';

/** Options of {@link toOperator} and {@link toGroupedOperator}. */
export interface ToOperatorOptions {
  /** Run seed for random ops. Default 0. */
  readonly seed?: number;
  /** Epoch for random ops. Default 0. */
  readonly epoch?: number;
  /**
   * How many samples may be inside asynchronous ops at once. Synchronous pipelines run one
   * sample at a time whatever this is. Output order is input order either way. Default 1.
   */
  readonly concurrency?: number;
}

/** Thrown inside a pipeline whose subscriber has gone; never reaches a subscriber. */
export class CancelledError extends FuseflowError {
  constructor() {
    super('the stream was unsubscribed');
  }
}

/** Checks a positive integer option. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new OptionsError(`${name} must be a positive integer, got ${String(value)}`);
  return v;
}

/**
 * The same pipeline with each op refusing to start once `cancel` is set, so an async op that
 * finishes after unsubscribe does not lead into the next op.
 */
export function cancellable(p: Pipeline, cancel: Cancellation): Pipeline {
  const ops = p.ops.map((op): Op<object> => ({
    ...op,
    apply: (sample: Sample, ctx: OpContext): OpResult | Promise<OpResult> => {
      if (cancel.cancelled) throw new CancelledError();
      return op.apply(sample, ctx);
    },
  }));
  return { ...p, ops };
}

/**
 * Runs a pipeline on each sample and emits, per input sample, the array of its outputs
 * (empty when dropped, several when split), in input order.
 *
 * Keys: whatever the pipeline's ops read and write. Static or random: as its ops; random ops
 * draw from `(seed, epoch, sampleId, opIndex)`, so the output does not depend on order or
 * concurrency.
 * @example
 * from(samples).pipe(toGroupedOperator(p, { seed: 1 })).subscribe((outs) => console.log(outs.length));
 * @throws {OptionsError} for a bad `concurrency`; the stream errors with an `OpError` naming the
 * op, op id and sample id when an op fails.
 */
export function toGroupedOperator(p: Pipeline, options: ToOperatorOptions = {}): OperatorFunction<Sample, Sample[]> {
  const concurrency = positiveInteger('toOperator: concurrency', options.concurrency, 1);
  const run = { seed: options.seed ?? 0, epoch: options.epoch ?? 0 };
  return (source) => {
    // One guarded pipeline per subscription, created lazily with the subscription's flag.
    let guarded: Pipeline | undefined;
    let flag: Cancellation | undefined;
    return source.pipe(
      orderedMap<Sample, Sample[]>((sample, cancel) => {
        if (flag !== cancel) {
          flag = cancel;
          guarded = cancellable(p, cancel);
        }
        return runPipeline(guarded as Pipeline, sample, run);
      }, concurrency),
    );
  };
}

/**
 * Runs a pipeline on each sample as an RxJS operator: one→many outputs are flattened in order,
 * dropped samples disappear. Ordered, at most `concurrency` samples in async ops at once.
 *
 * This operator bounds work, not memory: like `mergeMap`, it queues what upstream pushes while
 * busy. Put it behind a credit gate ({@link creditStream}, or `dataset().stream()`) when the
 * consumer is slower than the source.
 * @example
 * const p = pipeline([setValue({ key: 'data.x', value: 1 })]);
 * from(ids.map((id) => createSample(id))).pipe(toOperator(p, { seed: 7, epoch: 0 })).subscribe(console.log);
 * @throws {OptionsError} for a bad `concurrency`; the stream errors with an `OpError` naming the
 * op, op id and sample id when an op fails.
 */
export function toOperator(p: Pipeline, options: ToOperatorOptions = {}): OperatorFunction<Sample, Sample> {
  const grouped = toGroupedOperator(p, options);
  return (source) => flatten(grouped(source));
}

/** Emits the items of each array in order (no inner subscription per array, unlike `mergeMap`). */
function flatten<T>(source: Observable<readonly T[]>): Observable<T> {
  return new Observable<T>((subscriber) =>
    source.subscribe({
      next: (items) => {
        for (const item of items) {
          if (subscriber.closed) return;
          subscriber.next(item);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    }),
  );
}

/**
 * The loss contract (FuseMedML's LossDefault): a loss reads a prediction key and a target key
 * from the batch (outputs of the model included), computes a scalar and is scaled by a weight;
 * the total loss is the weighted sum of all terms.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import type { Sample } from '../../core/sample.js';
import { readBatchTensor, type ReadContext } from '../batch-input.js';

/** A weighted loss term. */
export interface Loss {
  /** Name under which the term is logged (`losses.<name>`). */
  readonly name: string;
  readonly weight: number;
  /** Key of the prediction it reads. */
  readonly pred: string;
  /** Key of the target it reads. */
  readonly target: string;
  /** The unweighted scalar loss on a batch; `outputs` holds the model's outputs by key. */
  compute(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, ctx: ReadContext): tf.Scalar;
  /**
   * How to build the same loss again (its factory's name and options), for replicas on worker
   * threads (`fit({ threads })`). Set by {@link lossTerm}; absent on hand-written losses.
   */
  readonly spec?: LossSpec;
}

/** A built-in loss as plain data: its factory (`'crossEntropy'`, `'mse'`, …) and its options. */
export interface LossSpec {
  readonly kind: string;
  readonly options: LossOptions;
}

/** Options shared by every loss. */
export interface LossOptions {
  /** Key of the prediction (a model output such as `'model.logits.head_0'`, or any batch key). Required. */
  readonly pred: string;
  /** Key of the target in the batch, e.g. `'data.label'`. Required. */
  readonly target: string;
  /** Weight of the term in the total. Default 1. */
  readonly weight?: number;
  /** Log name. Default: the loss kind. */
  readonly name?: string;
}

/** Validates common options; returns the weight. */
export function checkLossOptions(kind: string, o: LossOptions): number {
  if (typeof o.pred !== 'string' || o.pred === '') throw new OptionsError(`${kind}: 'pred' must be a key`);
  if (typeof o.target !== 'string' || o.target === '') throw new OptionsError(`${kind}: 'target' must be a key`);
  const weight = o.weight ?? 1;
  if (!Number.isFinite(weight) || weight < 0) throw new OptionsError(`${kind}: weight must be a finite number ≥ 0, got ${weight}`);
  return weight;
}

/** The prediction: a model output when present, else a batch value. */
export function readPred(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, key: string, ctx: ReadContext): tf.Tensor {
  return outputs[key] ?? readBatchTensor(batch, key, ctx);
}

/**
 * Class-index targets for `logits` of shape `[...lead, C]`: accepts `[...lead]` or `[...lead, 1]`.
 * @throws {TypeMismatchError} naming the key, both shapes and the step.
 */
export function readClassTargets(batch: Sample, key: string, logits: tf.Tensor, ctx: ReadContext): tf.Tensor {
  const t = readBatchTensor(batch, key, ctx, 'int32');
  const lead = logits.shape.slice(0, -1);
  const shape = t.shape.length === lead.length + 1 && t.shape[t.shape.length - 1] === 1 ? t.shape.slice(0, -1) : t.shape;
  if (shape.join(',') !== lead.join(',')) {
    throw new TypeMismatchError(
      `key '${key}'${ctx.step === undefined ? '' : ` at step ${ctx.step}`}: class targets of shape [${t.shape.join(',')}] do not match predictions [${logits.shape.join(',')}] (expected [${lead.join(',')}])`,
    );
  }
  return shape.length === t.shape.length ? t : t.reshape(shape);
}

/**
 * Real-valued targets of the same shape as `pred` (a trailing axis of 1 on either side is tolerated).
 * @throws {TypeMismatchError} naming the key, both shapes and the step.
 */
export function readDenseTargets(batch: Sample, key: string, pred: tf.Tensor, ctx: ReadContext): tf.Tensor {
  const t = readBatchTensor(batch, key, ctx);
  if (t.size !== pred.size || t.shape[0] !== pred.shape[0]) {
    throw new TypeMismatchError(
      `key '${key}'${ctx.step === undefined ? '' : ` at step ${ctx.step}`}: targets of shape [${t.shape.join(',')}] do not match predictions [${pred.shape.join(',')}]`,
    );
  }
  return t.reshape(pred.shape);
}

/**
 * A loss term: named `options.name` (default `kind`), reading `options.pred` and `options.target`,
 * whose `compute` runs `scalar` inside `tf.tidy` (so only the returned scalar outlives it).
 */
export function lossTerm(
  kind: string,
  options: LossOptions,
  weight: number,
  scalar: (batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, ctx: ReadContext) => tf.Scalar,
): Loss {
  return {
    name: options.name ?? kind,
    weight,
    pred: options.pred,
    target: options.target,
    compute: (batch, outputs, ctx) => tf.tidy(() => scalar(batch, outputs, ctx)),
    spec: { kind, options },
  };
}

/**
 * The log-softmax of the logits `options.pred` (shape `[...lead, C]`) and the one-hot class-index
 * targets `options.target` of the same shape. Call inside `tf.tidy`.
 * @throws {TypeMismatchError} when the targets do not fit the logits.
 */
export function oneHotLogSoftmax(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, options: LossOptions, ctx: ReadContext): { oneHot: tf.Tensor; logProbs: tf.Tensor } {
  const logits = readPred(batch, outputs, options.pred, ctx);
  const classes = logits.shape[logits.shape.length - 1] as number;
  const target = readClassTargets(batch, options.target, logits, ctx);
  const oneHot = tf.oneHot(target.flatten(), classes).reshape(logits.shape);
  return { oneHot, logProbs: tf.logSoftmax(logits) };
}

/**
 * The prediction `options.pred` and the real-valued targets `options.target` reshaped to it.
 * @throws {TypeMismatchError} when the targets do not fit the prediction.
 */
export function predAndDenseTargets(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, options: LossOptions, ctx: ReadContext): { pred: tf.Tensor; target: tf.Tensor } {
  const pred = readPred(batch, outputs, options.pred, ctx);
  return { pred, target: readDenseTargets(batch, options.target, pred, ctx) };
}

/** The weighted total and each unweighted term (all scalars owned by the caller). */
export interface LossValues {
  readonly total: tf.Scalar;
  readonly terms: Readonly<Record<string, tf.Scalar>>;
}

/** Evaluates every loss and sums the weighted terms. */
export function totalLoss(losses: readonly Loss[], batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>, ctx: ReadContext): LossValues {
  const terms: Record<string, tf.Scalar> = {};
  let total: tf.Scalar = tf.scalar(0);
  for (const loss of losses) {
    const value = loss.compute(batch, outputs, ctx);
    terms[loss.name] = value;
    total = tf.add(total, tf.mul(value, loss.weight));
  }
  return { total, terms };
}

/**
 * Checks that loss names are distinct.
 * @throws {OptionsError} on a duplicate name.
 */
export function checkLossNames(losses: readonly Loss[]): void {
  const names = losses.map((l) => l.name);
  if (new Set(names).size !== names.length) throw new OptionsError(`losses need distinct names, got ${names.join(', ')}`);
  if (names.includes('total')) throw new OptionsError(`'total' is reserved for the weighted sum of the losses`);
}

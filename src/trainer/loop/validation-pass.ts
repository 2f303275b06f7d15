/**
 * The validation stage (Lightning's validation loop): runs the model (not training) over the
 * validation stream, averaging each loss over its batches, and hands the model's outputs with
 * the chosen batch keys, as columns, to the evaluator's metrics (`eval/evaluate`). One pass
 * reads the stream once; a metric that asks for more passes (exact AUC refinement) gets them,
 * the losses being summed on the first only. Every tensor it makes is disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { getOr, SAMPLE_ID_KEY, setKeys, type Sample } from '../../core/sample.js';
import { evaluate } from '../../eval/evaluate.js';
import type { Metric, MetricResults } from '../../eval/metric.js';
import { addColumns, type Columns } from '../eval-columns.js';
import { totalLoss, type Loss } from '../losses/loss.js';
import type { DictModel } from '../models/dict-model.js';
import type { EpochLog } from './epoch-logger.js';

/** Options of {@link validationPass}. */
export interface ValidationPassOptions {
  /** The model validated. Required. */
  readonly model: DictModel;
  /** Loss terms; `total` is their weighted sum. Required. */
  readonly losses: readonly Loss[];
  /** The validation batches; called once per pass. Required. */
  readonly validation: () => AsyncIterable<Sample>;
  /** Evaluator metrics. Default none (one pass, losses only). */
  readonly metrics?: readonly Metric[];
  /** Batch keys turned into metric columns (named by their key; ids go to `id`). Default: every loss's pred and target. */
  readonly metricKeys?: readonly string[];
  /** The step the forward context reports (the run's step count). Required. */
  readonly step: number;
}

/**
 * Validates the model: the mean of each loss over the validation batches (`total` and each
 * loss by name; empty when the stream is empty) and the metrics' results.
 * @example
 * const v = await validationPass({ model, losses: [ce], validation: () => collateStream(val.stream(), 64), metrics: [auc()], step: 120 });
 * v.losses['total']; v.metrics['auc'];
 * @throws whatever the stream, the model, a loss (a missing key) or a metric throws; the stream is closed.
 */
export async function validationPass(options: ValidationPassOptions): Promise<NonNullable<EpochLog['validation']>> {
  const { model, losses, step } = options;
  const metrics = options.metrics ?? [];
  const metricKeys = options.metricKeys ?? [...new Set(losses.flatMap((l) => [l.pred, l.target]))];
  const makeValidation = options.validation;
  const sums: Record<string, number> = {};
  let count = 0;
  let passes = 0;
  // One pass = the model over the validation stream; the first also sums the losses.
  const columnBatches = (): AsyncIterable<Columns> => ({
    async *[Symbol.asyncIterator]() {
      const first = passes++ === 0;
      for await (const batch of makeValidation()) {
        const ctx = { step, phase: 'validation' };
        const kept = tf.tidy(() => {
          const outputs = model.forward(batch, { ...ctx, training: false });
          const { total, terms } = totalLoss(losses, batch, outputs, ctx);
          return { values: tf.stack([total, ...Object.values(terms)]), outputs };
        });
        try {
          if (first) {
            const values = Array.from(await kept.values.data());
            sums['total'] = (sums['total'] ?? 0) + (values[0] as number);
            losses.forEach((l, i) => (sums[l.name] = (sums[l.name] ?? 0) + (values[i + 1] as number)));
            count += 1;
          }
          if (metrics.length === 0) continue;
          const withOutputs = await outputsToBatch(batch, kept.outputs);
          const columns: Columns = {};
          const ids = getOr<unknown>(batch, SAMPLE_ID_KEY, undefined);
          if (Array.isArray(ids)) columns['id'] = ids;
          for (const key of metricKeys) addColumns(columns, withOutputs, key);
          yield columns;
        } finally {
          tf.dispose([kept.values, ...Object.values(kept.outputs)]);
        }
      }
    },
  });
  let results: MetricResults = {};
  if (metrics.length > 0) {
    results = (await evaluate({ data: columnBatches, metrics })).metrics;
  } else {
    for await (const _ of columnBatches()) void _;
  }
  return { losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(count, 1)])), metrics: results };
}

/** The batch with the model's outputs set as plain float32 tensors under their keys. */
async function outputsToBatch(batch: Sample, outputs: Readonly<Record<string, tf.Tensor>>): Promise<Sample> {
  const values: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(outputs)) values[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(await t.data()) };
  return setKeys(batch, values);
}

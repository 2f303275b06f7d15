/**
 * A bounded in-memory store of batches, for the metrics that have no bounded exact state
 * (DeLong, C-index, Spearman, FuseMedML-compatible bootstrap). `maxRows` is the declared bound:
 * more rows are an error, never a silent truncation.
 */
import { MetricInputError } from '../metric-input-error.js';
import type { EvalBatch, Metric } from '../metric.js';
import { batchLength, concatBatches } from './batch-rows.js';

/** The store: batches in arrival order. */
export interface RowStore {
  readonly batches: EvalBatch[];
  rows: number;
}

/** An empty store. */
export function initRows(): RowStore {
  return { batches: [], rows: 0 };
}

/** Adds a batch (only `keys` when given); throws past `maxRows`. */
export function addBatch(store: RowStore, batch: EvalBatch, maxRows: number, metric: string, keys?: readonly string[]): RowStore {
  const kept: Record<string, ArrayLike<unknown>> = {};
  if (keys === undefined) Object.assign(kept, batch);
  else
    for (const k of keys) {
      const c = batch[k];
      if (c === undefined)
        throw new MetricInputError(
          metric,
          `column is missing; the batch has ${Object.keys(batch)
            .map((x) => `'${x}'`)
            .join(', ')}`,
          { key: k },
        );
      kept[k] = c;
    }
  const n = batchLength(kept);
  if (store.rows + n > maxRows) throw new MetricInputError(metric, `keeps its rows in memory and the input exceeds maxRows = ${maxRows}; raise maxRows or use a streaming method`);
  store.batches.push(kept);
  store.rows += n;
  return store;
}

/** Merges two stores (a's rows first). */
export function mergeRows(a: RowStore, b: RowStore, maxRows: number, metric: string): RowStore {
  if (a.rows + b.rows > maxRows) throw new MetricInputError(metric, `keeps its rows in memory and the input exceeds maxRows = ${maxRows}`);
  return { batches: [...a.batches, ...b.batches], rows: a.rows + b.rows };
}

/** All rows as one batch. */
export function allRows(store: RowStore): EvalBatch {
  return store.batches.length === 0 ? {} : concatBatches(store.batches);
}

/**
 * The accumulating half of a metric that keeps its rows: `init`, `update` (keeping only `keys`
 * when given) and `merge`, all bounded by `maxRows` and failing under the metric's `name`.
 */
export function rowAccumulator(name: string, maxRows: number, keys?: readonly string[]): Pick<Metric<RowStore>, 'init' | 'update' | 'merge'> {
  return {
    init: initRows,
    update: (s, b) => addBatch(s, b, maxRows, name, keys),
    merge: (a, b) => mergeRows(a, b, maxRows, name),
  };
}

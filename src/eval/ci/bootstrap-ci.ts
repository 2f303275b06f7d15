/**
 * Bootstrap confidence intervals around any metric, computed so the interval does not depend on
 * sharding or batch size. Three resampling methods:
 *
 * - `'state'` (default when the metric has `replicate`): replicates are drawn from the merged
 *   state, stratified by target class — each class's rows are resampled as a multinomial over
 *   the state's cells (confusion-matrix rows, score-histogram bin groups; a class of more than
 *   10^6 rows uses the Poisson bootstrap, whose total varies by about √n), keyed by
 *   `(seed, replicate)`. Memory and time do not grow with the number of rows: the path for 10^8
 *   predictions. Identical for any sharding and batch size because the merged state is.
 * - `'rows'` (default otherwise): a Poisson(1) bootstrap at row level. Row i's weight in
 *   replicate r is the r-th draw of `Rng.fromParts([seed, 'bootstrap-row', key_i])`, where key_i
 *   is the row's id (`rowKey` column) or else its running index in the stream. The weights are a
 *   pure function of (seed, row key, replicate), so any batch size gives the same replicates, and
 *   any sharding does too when `rowKey` names an id column (merging shards without `rowKey` is an
 *   error rather than a silently different interval). State: one inner state per replicate.
 *   Each row's expected weight is 1 in every stratum (stratified in expectation; a replicate may
 *   lack a class, then it is counted in `failed_replicates` and left out).
 * - `'fusemedml'`: FuseMedML's `CI` exactly — rows kept in memory (up to `maxRows`), numpy's
 *   `RandomState(seed)`, per replicate and per stratum value (sorted) `randint(0, n_s, n_s)`.
 *   Reproduces FuseMedML's numbers bit for bit for the same row order (one stream, or shards
 *   merged in rank order).
 *
 * The interval is read off the replicates by `ciMethod` (FuseMedML's `ci_method`): percentile
 * (default), normal or pivotal — see `ciOf`. BCa is not offered: its acceleration needs the
 * jackknife (the metric on every leave-one-row-out subset), which the merged states of `'state'`
 * and `'rows'` cannot give.
 *
 * Results keep FuseMedML's shape: `{ org, mean, std, conf_interval, conf_lower, conf_upper }`
 * per number of the metric's result (dict results give a dict of those).
 */
import { OptionsError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { EvalBatch, Metric, MetricPass, MetricResults, MetricStatus } from '../metric.js';
import { liftPasses } from '../metrics/compose-passes.js';
import { runMetric } from '../metrics/run-metric.js';
import { NumpyRandomState } from '../stats/numpy-random-state.js';
import { poisson } from '../stats/poisson.js';
import { batchLength, takeRows } from './batch-rows.js';
import { CI_METHODS, ciTree, type CiMethod } from './ci-summary.js';
import { DEFAULT_SEED } from './default-seed.js';
import { rowAccumulator, allRows, type RowStore } from './row-store.js';

/** How replicates are drawn. */
export type BootstrapMethod = 'state' | 'rows' | 'fusemedml';

/** Options of `bootstrapCi`. */
export interface BootstrapCiOptions<S, R> {
  /** The metric to wrap. */
  readonly metric: Metric<S, R>;
  /** Result name. Default: the metric's name. */
  readonly name?: string;
  /** Number of replicates. Default 1000. */
  readonly replicates?: number;
  /** Seed. Default {@link DEFAULT_SEED} (1234, FuseMedML's). */
  readonly seed?: number;
  /** Confidence level in percent. Default 95. */
  readonly confInterval?: number;
  /**
   * How the interval is read off the replicates (FuseMedML's `ci_method`): `'percentile'`
   * (default), `'normal'` (org ∓ z·std) or `'pivotal'` (2·org − upper/lower percentile).
   * The CLI's `--ci-method`.
   */
  readonly ciMethod?: CiMethod;
  /**
   * How replicates are drawn (the CLI's `--ci-resample`). Default `'state'` when the metric
   * supports it, else `'rows'`.
   */
  readonly method?: BootstrapMethod;
  /** `'rows'`: column of row ids keying the weights (needed for sharding invariance). Default: running row index. */
  readonly rowKey?: string;
  /** `'fusemedml'`: stratum column (FuseMedML's `stratum`). Default none (one stratum). */
  readonly stratum?: string;
  /** `'fusemedml'`: bound on rows kept in memory. Default 10^6. */
  readonly maxRows?: number;
}

/** Poisson(1) weights of one row for replicates 0..R-1. */
export function rowWeights(seed: number, key: string | number, replicates: number, out: Uint16Array): Uint16Array {
  const rng = Rng.fromParts([seed, 'bootstrap-row', key]);
  for (let r = 0; r < replicates; r++) out[r] = poisson(rng, 1);
  return out;
}

interface RowsState<S> {
  readonly org: S;
  readonly reps: S[];
  /** Rows seen (running index for weights without a row key). */
  seen: number;
}

/** Replicate batches of `batch`: rows repeated by their Poisson weights. */
function replicateBatches(batch: EvalBatch, seed: number, replicates: number, rowKey: string | undefined, firstRow: number): EvalBatch[] {
  const n = batchLength(batch);
  const keys = rowKey === undefined ? undefined : batch[rowKey];
  if (rowKey !== undefined && keys === undefined) throw new OptionsError(`bootstrapCi: rowKey column '${rowKey}' is missing from the batch`);
  const weights = new Uint16Array(n * replicates);
  const w = new Uint16Array(replicates);
  for (let i = 0; i < n; i++) {
    const key = keys === undefined ? firstRow + i : String(keys[i]);
    rowWeights(seed, key, replicates, w);
    for (let r = 0; r < replicates; r++) weights[r * n + i] = w[r] as number;
  }
  const out: EvalBatch[] = [];
  for (let r = 0; r < replicates; r++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) for (let c = weights[r * n + i] as number; c > 0; c--) idx.push(i);
    out.push(takeRows(batch, idx));
  }
  return out;
}

/** Stratified FuseMedML resampling: index lists per replicate over `n` rows. */
export function* fusemedmlResamples(strata: readonly unknown[], seed: number, replicates: number): Generator<Int32Array> {
  const n = strata.length;
  const values = [...new Set(strata)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  const positions = values.map((v) => {
    const p: number[] = [];
    strata.forEach((s, i) => {
      if (s === v) p.push(i);
    });
    return p;
  });
  const rs = new NumpyRandomState(seed);
  for (let r = 0; r < replicates; r++) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (const pos of positions) {
      const draw = rs.randint(0, pos.length, pos.length);
      pos.forEach((p, j) => (idx[p] = pos[draw[j] as number] as number));
    }
    yield idx;
  }
}

/**
 * Bootstrap CI of a metric.
 *
 * Reads whatever the wrapped metric reads (plus `rowKey` / `stratum`); writes the CI tree under
 * `name`. Random, but seeded: the same seed gives the same interval on any sharding or batch size
 * (see the methods above).
 *
 * @example
 * const m = bootstrapCi({ metric: auc({ pred: 'p', target: 'y' }), replicates: 1000, seed: 7 });
 * // → { org: 0.84, mean: 0.84, std: 0.03, conf_interval: 95, conf_lower: 0.78, conf_upper: 0.90 }
 * @throws OptionsError on bad options (e.g. `'state'` for a metric without `replicate`).
 */
export function bootstrapCi<S, R>(options: BootstrapCiOptions<S, R>): Metric<unknown, unknown> {
  const conf = options.confInterval ?? 95;
  if (!(conf > 0 && conf < 100)) throw new OptionsError(`bootstrapCi: confInterval must be in (0, 100), got ${conf}`);
  const ciMethod = options.ciMethod ?? 'percentile';
  if (!CI_METHODS.includes(ciMethod)) throw new OptionsError(`bootstrapCi: ciMethod must be ${CI_METHODS.join(', ')}, got '${String(ciMethod)}'`);
  return resampled(options, (org, reps) => ciTree(org, reps, conf, ciMethod));
}

/**
 * The resampling engine behind `bootstrapCi` and `pairedBootstrap`: the wrapped metric's result
 * on the data and on each replicate, handed to `finish`. Replicates whose compute throws (e.g.
 * one class only) are NaN.
 */
export function resampled<S, R, O>(options: BootstrapCiOptions<S, R>, finish: (org: R, reps: unknown[]) => O): Metric<unknown, O> {
  const inner = options.metric;
  if (inner === undefined || typeof inner.init !== 'function') throw new OptionsError('bootstrapCi: options.metric must be a metric');
  const name = options.name ?? inner.name;
  const R = options.replicates ?? 1000;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(R) || R < 1) throw new OptionsError(`bootstrapCi: replicates must be a positive integer, got ${R}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new OptionsError(`bootstrapCi: seed must be an integer in [0, 2^32)`);
  const method = options.method ?? (inner.replicate !== undefined ? 'state' : 'rows');
  if (method === 'state') {
    const replicate = inner.replicate?.bind(inner);
    if (replicate === undefined) throw new OptionsError(`bootstrapCi: metric '${inner.name}' cannot resample its state; use method 'rows'`);
    const m: Metric<S, O> = {
      name,
      init: () => inner.init(),
      update: (s, b) => inner.update(s, b),
      merge: (a, b) => inner.merge(a, b),
      compute(state, results) {
        const org = inner.compute(state, results);
        const reps: unknown[] = [];
        for (let r = 0; r < R; r++) {
          try {
            reps.push(replicate(state, Rng.fromParts([seed, 'bootstrap-state', r]), results));
          } catch {
            reps.push(Number.NaN);
          }
        }
        return finish(org, reps);
      },
    };
    if (inner.nextPass !== undefined) m.nextPass = (s) => (inner.nextPass as NonNullable<typeof inner.nextPass>)(s);
    if (inner.status !== undefined) m.status = (s) => (inner.status as NonNullable<typeof inner.status>)(s);
    return m;
  }
  if (method === 'fusemedml') {
    const maxRows = options.maxRows ?? 1e6;
    const m: Metric<RowStore, O> = {
      name,
      ...rowAccumulator(name, maxRows),
      compute(store, results) {
        const data = allRows(store);
        const n = batchLength(data);
        const org = runMetric(inner, () => [data], { results }).result;
        const strata = options.stratum === undefined ? new Array<number>(n).fill(1) : Array.from(data[options.stratum] ?? []);
        if (strata.length !== n) throw new OptionsError(`bootstrapCi: stratum column '${options.stratum}' is missing`);
        const reps: unknown[] = [];
        for (const idx of fusemedmlResamples(strata, seed, R)) {
          try {
            reps.push(runMetric(inner, () => [takeRows(data, idx)], { results }).result);
          } catch {
            reps.push(Number.NaN);
          }
        }
        return finish(org, reps);
      },
    };
    return m;
  }
  if (method !== 'rows') throw new OptionsError(`bootstrapCi: unknown method '${String(method)}'`);
  const rowKey = options.rowKey;
  const parts: Metric<S, unknown>[] = Array.from({ length: R + 1 }, () => inner as Metric<S, unknown>);
  const m: Metric<RowsState<S>, O> = {
    name,
    init: () => ({ org: inner.init(), reps: Array.from({ length: R }, () => inner.init()), seen: 0 }),
    update(state, batch) {
      const reps = replicateBatches(batch, seed, R, rowKey, state.seen);
      state.seen += batchLength(batch);
      const org = inner.update(state.org, batch);
      const out = reps.map((b, r) => inner.update(state.reps[r] as S, b));
      return { org, reps: out, seen: state.seen };
    },
    merge(a, b) {
      if (rowKey === undefined && a.seen > 0 && b.seen > 0) {
        throw new OptionsError(
          `bootstrapCi '${name}': method 'rows' over several shards needs rowKey (a column of row ids), so a row's weights do not depend on which shard read it`,
        );
      }
      return { org: inner.merge(a.org, b.org), reps: a.reps.map((s, r) => inner.merge(s, b.reps[r] as S)), seen: a.seen + b.seen };
    },
    nextPass(state): MetricPass<RowsState<S>> | null {
      let seen = 0;
      const cache = new WeakMap<EvalBatch, EvalBatch[]>();
      const route = (batch: EvalBatch, part: number): EvalBatch => {
        if (part === 0) return batch;
        let reps = cache.get(batch);
        if (reps === undefined) {
          reps = replicateBatches(batch, seed, R, rowKey, seen);
          seen += batchLength(batch);
          cache.set(batch, reps);
        }
        return reps[part - 1] as EvalBatch;
      };
      return liftPasses(
        parts,
        state,
        (s) => [s.org, ...s.reps],
        (s, all) => ({ org: all[0] as S, reps: all.slice(1), seen: s.seen }),
        route,
        name,
      );
    },
    compute(state, results: MetricResults) {
      const org = inner.compute(state.org, results);
      const reps = state.reps.map((s) => {
        try {
          return inner.compute(s, results);
        } catch {
          return Number.NaN;
        }
      });
      return finish(org, reps);
    },
    status: (s): MetricStatus => inner.status?.(s.org) ?? { exact: true, bound: 0, skipped: 0, passes: 0 },
  };
  return m;
}

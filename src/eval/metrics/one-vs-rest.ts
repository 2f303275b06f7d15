/**
 * One-vs-rest: any binary metric applied to each class's probability column against "target is
 * that class", with macro and support-weighted averages.
 */
import { OptionsError } from '../../core/errors.js';
import type { EvalBatch, Metric, MetricPass, MetricResults, MetricStatus } from '../metric.js';
import type { BinaryKeys } from './binary-rows.js';
import { ClassIndex, checkKey, column, type Label, type NonFinitePolicy } from './columns.js';
import { everyPart, liftPasses } from './compose-passes.js';

/** Options of `oneVsRest`. */
export interface OneVsRestOptions {
  /** Result name. Default: the inner metric's name. */
  readonly name?: string;
  /** One class-probability column per class. */
  readonly preds: readonly string[];
  /** Column of targets (class names or indices). */
  readonly target: string;
  /** Class names in the order of `preds`. Default '0', '1', …. */
  readonly classNames?: readonly Label[];
  /** Builds the binary metric for one class from its keys (pred, target, classNames, positive). */
  readonly metric: (keys: BinaryKeys & { readonly name: string }) => Metric<unknown, number>;
  /** Column of sample ids for error messages. */
  readonly idKey?: string;
  /** Non-finite score policy passed to the inner metrics. Default 'error'. */
  readonly nonFinite?: NonFinitePolicy;
  /**
   * One non-negative weight per class (in `preds` order): `macro_avg` becomes the weighted mean
   * Σ w_c·v_c / Σ w_c over the classes with a value (FuseMedML's `class_weights`, numpy's
   * `average(weights=…)`). Default none (the plain mean).
   */
  readonly classWeights?: readonly number[];
  /** A class whose metric fails (e.g. absent from the targets): 'error' (default) or 'nan' (value NaN, left out of the averages, listed in `failed`). */
  readonly onClassError?: 'error' | 'nan';
}

/** Result: one value per class name, `macro_avg`, `weighted_avg` (by target support), and the failed classes. */
export type OneVsRestResult = Readonly<Record<string, number>> & { readonly failed?: readonly string[] };

interface OvrState {
  readonly inner: unknown[];
  readonly support: Float64Array;
}

/**
 * One-vs-rest wrapper (FuseMedML's `MetricMultiClassDefault`).
 *
 * Reads `preds`, `target`; writes `{ <class>: value, macro_avg, weighted_avg }` under `name`.
 * Static. Passes of the inner metrics (exact AUC refinement) run together. Its `replicate`
 * (used by `bootstrapCi`'s default 'state' method) resamples each class's state on its own:
 * per-class intervals are right, the macro average's interval ignores the correlation between
 * classes — use method 'rows' or 'fusemedml' for a joint resample.
 *
 * @example
 * const m = oneVsRest({ preds: ['pA', 'pB', 'pC'], target: 'y', classNames: ['A', 'B', 'C'], metric: auc });
 * @throws OptionsError on bad options; MetricInputError from the inner metrics.
 */
export function oneVsRest(options: OneVsRestOptions): Metric<OvrState, OneVsRestResult> {
  if (options === null || typeof options !== 'object' || typeof options.metric !== 'function')
    throw new OptionsError('oneVsRest: options.metric must be a factory of binary metrics');
  const index = new ClassIndex(options.classNames ?? options.preds.map((_, i) => String(i)), 'oneVsRest');
  if (index.classNames.length !== options.preds.length) throw new OptionsError(`oneVsRest: ${options.preds.length} preds columns but ${index.classNames.length} classNames`);
  options.preds.forEach((p, i) => checkKey('oneVsRest', `preds[${i}]`, p));
  checkKey('oneVsRest', 'target', options.target);
  const names = index.classNames;
  const weights = options.classWeights;
  if (weights !== undefined) {
    if (weights.length !== names.length) throw new OptionsError(`oneVsRest: ${weights.length} classWeights for ${names.length} classes`);
    if (!weights.every((w) => Number.isFinite(w) && w >= 0) || !weights.some((w) => w > 0))
      throw new OptionsError('oneVsRest: classWeights must be non-negative finite numbers, not all 0');
  }
  const inner = names.map((c, i) =>
    options.metric({
      name: c,
      pred: options.preds[i] as string,
      target: options.target,
      classNames: names,
      positive: c,
      ...(options.idKey === undefined ? {} : { idKey: options.idKey }),
      ...(options.nonFinite === undefined ? {} : { nonFinite: options.nonFinite }),
    }),
  );
  const metricName = options.name ?? 'ovr';
  const policy = options.onClassError ?? 'error';
  const combine = (values: number[], support: Float64Array): OneVsRestResult => {
    const out: Record<string, number> = {};
    const failed: string[] = [];
    let sum = 0;
    let cnt = 0;
    let wsum = 0;
    let wtot = 0;
    values.forEach((v, i) => {
      const c = names[i] as string;
      out[c] = v;
      if (Number.isNaN(v)) {
        failed.push(c);
        return;
      }
      const w = weights === undefined ? 1 : (weights[i] as number);
      sum += w * v;
      cnt += w;
      wsum += v * (support[i] as number);
      wtot += support[i] as number;
    });
    out['macro_avg'] = sum / cnt;
    out['weighted_avg'] = wsum / wtot;
    return failed.length > 0 ? Object.assign(out, { failed }) : out;
  };
  const evalAll = (state: OvrState, results: MetricResults, f: (m: Metric<unknown, number>, s: unknown) => number): number[] =>
    inner.map((m, i) => {
      try {
        return f(m, state.inner[i]);
      } catch (e) {
        if (policy === 'nan') return Number.NaN;
        throw e;
      }
    });
  const metric: Metric<OvrState, OneVsRestResult> = {
    name: options.name ?? metricName,
    init: () => ({ inner: inner.map((m) => m.init()), support: new Float64Array(names.length) }),
    update(state, batch: EvalBatch) {
      inner.forEach((m, i) => (state.inner[i] = m.update(state.inner[i], batch)));
      const t = column(batch, options.target, metricName);
      for (let i = 0; i < t.length; i++) {
        const c = index.indexOf(t[i]);
        if (c >= 0) state.support[c] = (state.support[c] as number) + 1;
      }
      return state;
    },
    merge: (a, b) => ({ inner: inner.map((m, i) => m.merge(a.inner[i], b.inner[i])), support: a.support.map((v, i) => v + (b.support[i] as number)) }),
    nextPass(state): MetricPass<OvrState> | null {
      return liftPasses(
        inner,
        state,
        (s) => s.inner,
        (s, done) => ({ inner: done, support: s.support }),
        everyPart,
        metricName,
      );
    },
    compute: (state, results) =>
      combine(
        evalAll(state, results, (m, s) => m.compute(s, results)),
        state.support,
      ),
    status(state): MetricStatus {
      const st = inner.map((m, i) => m.status?.(state.inner[i]) ?? { exact: true, bound: 0, skipped: 0, passes: 0 });
      return {
        exact: st.every((s) => s.exact),
        bound: Math.max(...st.map((s) => s.bound)),
        skipped: Math.max(...st.map((s) => s.skipped)),
        passes: Math.max(...st.map((s) => s.passes)),
      };
    },
  };
  if (inner.every((m) => m.replicate !== undefined)) {
    return {
      ...metric,
      replicate: (state, rng, results) => {
        const values = evalAll(state, results, (m, s) => (m.replicate as NonNullable<typeof m.replicate>)(s, rng, results));
        return combine(values, state.support);
      },
    };
  }
  return metric;
}

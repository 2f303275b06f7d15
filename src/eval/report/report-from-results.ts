/**
 * Builds the HTML report's content from `evaluate` results: the metrics the report needs for
 * its plots (ROC curve per class, confusion counts, confusion matrix, reliability diagram and
 * ECE over 10 equal-width top-label confidence bins) are computed in the same
 * pass under names starting with {@link REPORT_PREFIX}, then turned into plot data here.
 */
import type { Metric, MetricResults } from '../metric.js';
import { confusion, type ConfusionByClass, type ConfusionStats } from '../metrics/confusion.js';
import { confusionMatrix, type ConfusionMatrixResult } from '../metrics/confusion-matrix.js';
import { rocCurve, type RocCurve } from '../metrics/roc-curve.js';
import { reliabilityDiagram, type ReliabilityDiagram } from '../calibration/reliability-diagram.js';
import { ece, type EceResult } from '../calibration/ece.js';
import type { CliMetricOptions } from '../metrics/index.js';
import { curvesFromRoc } from './curves-from-roc.js';
import { isCiResult } from './results-table.js';
import type { ReportInput, ReportPr, ReportReliability, ReportRoc } from './report-input.js';
import { DEFAULT_SEED } from '../ci/default-seed.js';

/** Names of the report's own metrics start with this. */
export const REPORT_PREFIX = 'report:';

/** What a report metric gives when its plot cannot be drawn from this input. */
interface Omitted {
  readonly omitted: string;
}

function isOmitted(v: unknown): v is Omitted {
  return typeof v === 'object' && v !== null && typeof (v as Omitted).omitted === 'string';
}

/**
 * The report plots that could not be drawn from this input, with the reason.
 *
 * @example
 * omittedPlots(result.metrics); // ['roc: metric 'report:roc', key 'y', row 2: target 2 is outside the class set [0, 1]']
 */
export function omittedPlots(all: MetricResults): string[] {
  return Object.entries(all).flatMap(([name, v]) => (name.startsWith(REPORT_PREFIX) && isOmitted(v) ? [`${name.slice(REPORT_PREFIX.length)}: ${v.omitted}`] : []));
}

interface TolerantState {
  inner: unknown;
  error: string | undefined;
}

/**
 * Wraps a one-pass metric so that input it rejects (e.g. regression targets for a ROC curve)
 * leaves its plot out of the report, with the reason, instead of failing the evaluation.
 */
function tolerant(metric: Metric): Metric<TolerantState, unknown> {
  return {
    name: metric.name,
    init: () => ({ inner: metric.init(), error: undefined }),
    update(state, batch) {
      if (state.error !== undefined) return state;
      try {
        state.inner = metric.update(state.inner, batch);
      } catch (err) {
        state.error = err instanceof Error ? err.message : String(err);
      }
      return state;
    },
    merge: (a, b) => (a.error !== undefined ? a : b.error !== undefined ? b : { inner: metric.merge(a.inner, b.inner), error: undefined }),
    compute(state, results) {
      if (state.error !== undefined) return { omitted: state.error } satisfies Omitted;
      try {
        return metric.compute(state.inner, results);
      } catch (err) {
        return { omitted: err instanceof Error ? err.message : String(err) } satisfies Omitted;
      }
    },
  };
}

/**
 * The metrics the report's plots need, for binary (`pred`) or multi-class (`preds` with
 * `classNames`) keys.
 *
 * @example
 * evaluate({ data, metrics: { ...mine, ...reportMetrics({ pred: 'p', target: 'y' }) } });
 */
export function reportMetrics(keys: CliMetricOptions): Record<string, Metric> {
  const common = {
    target: keys.target,
    ...(keys.classNames === undefined ? {} : { classNames: keys.classNames }),
    ...(keys.idKey === undefined ? {} : { idKey: keys.idKey }),
    ...(keys.nonFinite === undefined ? {} : { nonFinite: keys.nonFinite }),
  };
  const counts = {
    ...common,
    ...(keys.preds === undefined ? { pred: keys.pred ?? '' } : { preds: keys.preds }),
    ...(keys.positive === undefined ? {} : { positive: keys.positive }),
    ...(keys.threshold === undefined ? {} : { threshold: keys.threshold }),
  };
  const probs = {
    ...common,
    ...(keys.preds === undefined ? { pred: keys.pred ?? '' } : { preds: keys.preds }),
    ...(keys.positive === undefined ? {} : { positive: keys.positive }),
  };
  const out: Record<string, Metric> = {
    [`${REPORT_PREFIX}confusion`]: confusion({ ...counts, name: `${REPORT_PREFIX}confusion` }),
    [`${REPORT_PREFIX}confusion-matrix`]: confusionMatrix({ ...counts, name: `${REPORT_PREFIX}confusion-matrix` }),
    [`${REPORT_PREFIX}reliability`]: reliabilityDiagram({ ...probs, name: `${REPORT_PREFIX}reliability` }),
    [`${REPORT_PREFIX}ece`]: ece({ ...probs, name: `${REPORT_PREFIX}ece` }),
  };
  if (keys.preds === undefined) {
    out[`${REPORT_PREFIX}roc`] = rocCurve({ ...common, pred: keys.pred ?? '', ...(keys.positive === undefined ? {} : { positive: keys.positive }), name: `${REPORT_PREFIX}roc` });
  } else {
    const names = (keys.classNames ?? keys.preds.map((_, i) => String(i))).map(String);
    keys.preds.forEach((pred, k) => {
      out[`${REPORT_PREFIX}roc:${names[k]}`] = rocCurve({ ...common, classNames: names, pred, positive: names[k] as string, name: `${REPORT_PREFIX}roc:${names[k]}` });
    });
  }
  return Object.fromEntries(Object.entries(out).map(([name, m]) => [name, tolerant(m) as Metric]));
}

/** Options of {@link reportInput}. */
export interface ReportInputOptions {
  readonly title?: string;
  readonly about?: readonly string[];
  /** Seed of the ROC bands; default `DEFAULT_SEED` (1234). */
  readonly seed?: number;
  /** Bootstrap replicates of each ROC band; default 200. */
  readonly bandReplicates?: number;
}

/** A number result, or the `org` of a CI result. */
function scalar(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (isCiResult(v)) return v.org;
  return undefined;
}

function numberAt(results: MetricResults, name: string, key?: string): number | undefined {
  const v = results[name];
  if (key === undefined) return scalar(v);
  if (typeof v !== 'object' || v === null) return undefined;
  return scalar((v as Record<string, unknown>)[key]);
}

/**
 * The report content: `shown` in the results table, plots from the `report:` metrics in `all`.
 *
 * @example
 * const keys = { pred: 'p', target: 'y' };
 * const r = await evaluate({ data, metrics: { auc: auc(keys), ...reportMetrics(keys) } });
 * await writeReport('report.html', reportInput(r.metrics, { auc: r.metrics.auc }, keys));
 */
export function reportInput(all: MetricResults, shown: MetricResults, keys: CliMetricOptions, options: ReportInputOptions = {}): ReportInput {
  const roc: ReportRoc[] = [];
  const pr: ReportPr[] = [];
  const seed = options.seed ?? DEFAULT_SEED;
  const band = { ...(options.bandReplicates === undefined ? {} : { bandReplicates: options.bandReplicates }), seed };
  const omitted: string[] = [];
  const get = (name: string): unknown => {
    const v = all[`${REPORT_PREFIX}${name}`];
    if (isOmitted(v)) {
      omitted.push(`${name}: ${v.omitted}`);
      return undefined;
    }
    return v;
  };
  const conf = get('confusion');
  if (keys.preds === undefined) {
    const curve = get('roc') as RocCurve | undefined;
    const c = conf as ConfusionStats | undefined;
    if (curve !== undefined && c !== undefined) {
      const auc = numberAt(shown, 'auc') ?? curve.auc;
      const ap = numberAt(shown, 'aucpr');
      const { roc: r, pr: p } = curvesFromRoc(`${keys.target} = ${String(keys.positive ?? 1)}`, curve, c.tp + c.fn, c.fp + c.tn, {
        auc,
        ...(ap === undefined ? {} : { ap }),
        ...band,
      });
      roc.push(r);
      pr.push(p);
    }
  } else {
    const names = (keys.classNames ?? keys.preds.map((_, i) => String(i))).map(String);
    const c = conf as ConfusionByClass | undefined;
    names.forEach((name, k) => {
      const curve = get(`roc:${name}`) as RocCurve | undefined;
      if (curve === undefined || c === undefined) return;
      const P = (c.tp[name] ?? 0) + (c.fn[name] ?? 0);
      const N = (c.fp[name] ?? 0) + (c.tn[name] ?? 0);
      const auc = numberAt(shown, 'auc', name) ?? curve.auc;
      const ap = numberAt(shown, 'aucpr', name);
      // One band per class would crowd the plot; the band is drawn for the first class only.
      const { roc: r, pr: p } = curvesFromRoc(name, curve, P, N, { auc, ...(ap === undefined ? {} : { ap }), ...band, ...(k === 0 ? {} : { bandReplicates: 0 }) });
      roc.push(r);
      pr.push(p);
    });
  }
  const matrix = get('confusion-matrix') as ConfusionMatrixResult | undefined;
  const diagram = get('reliability') as ReliabilityDiagram | undefined;
  const calibration = get('ece') as EceResult | undefined;
  const reliability: ReportReliability | undefined =
    diagram === undefined
      ? undefined
      : {
          bins: diagram.num_samples_per_bin.map((count, i) => ({
            lower: diagram.conf_vec[i] as number,
            upper: diagram.conf_vec[i + 1] as number,
            confidence: count > 0 ? (diagram.confidence[i] as number) : (diagram.mid_confidence_points[i] as number),
            accuracy: diagram.accuracy[i] as number,
            count,
          })),
          ...(calibration === undefined ? {} : { ece: calibration.ece }),
          accuracyLabel: keys.preds === undefined ? 'observed accuracy (predicted class = target)' : 'observed accuracy (argmax class = target)',
        };
  return {
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.about === undefined && omitted.length === 0 ? {} : { about: [...(options.about ?? []), ...omitted.map((o) => `plot left out — ${o}`)] }),
    metrics: shown,
    roc,
    pr,
    ...(matrix === undefined ? {} : { confusion: { classNames: matrix.classNames, count: matrix.count } }),
    ...(reliability === undefined ? {} : { reliability }),
  };
}

/**
 * Shared plumbing of the ranking metrics (AUC-ROC, AUC-PR, ROC curve): options, the histogram
 * state, its refinement passes and its status.
 */
import { OptionsError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { EvalBatch, Metric, MetricPass, MetricResults, MetricStatus } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { BinaryTarget, binaryRows, isTypedNumeric, type BinaryKeys } from './binary-rows.js';
import { sliceColumns } from './slice-columns.js';
import { checkKey, checkNonFinite } from './columns.js';
import { addPassRows, emptyPassLike, finishPass, mergePasses, planPass, type RefinePass } from './histogram-refine.js';
import { summarize, type RankingSummary } from './histogram-summary.js';
import { addDenseKept, densifyKept, keptAll, mergeKept, refineFromKept, releaseKept, stopKeeping } from './histogram-kept.js';
import { addDenseChecked, addRows, allDense01, initHistogram, mergeHistograms, SMALL_ROWS, type ScoreHistogramConfig, type ScoreHistogramState } from './score-histogram.js';

/** Options shared by the ranking metrics. */
export interface RankingOptions extends BinaryKeys {
  /** Result name. Default: the metric's own name. */
  readonly name?: string;
  /** Bits of the float32 score pattern per histogram bin, 16..24. Default 16. */
  readonly bits?: number;
  /**
   * Memory for one exact-refinement pass, bytes: 2 a kept row (8 when scores are not float32).
   * Default 1e9. Held once per process whatever `evaluate`'s `threads` (the threads share it).
   */
  readonly budgetBytes?: number;
  /**
   * Maximum extra passes for exact refinement. Default Infinity (as many as the budget needs);
   * 0 gives the one-pass bounded result.
   */
  readonly maxPasses?: number;
}

/** Validated configuration. */
export interface RankingConfig {
  readonly keys: BinaryKeys;
  readonly target: BinaryTarget;
  readonly histogram: ScoreHistogramConfig;
  readonly maxPasses: number;
}

/** Validates ranking options. */
export function rankingConfig(metric: string, o: RankingOptions, maxFpr: number | undefined): RankingConfig {
  if (o === null || typeof o !== 'object') throw new OptionsError(`${metric}: options must be an object`);
  checkKey(metric, 'pred', o.pred);
  checkKey(metric, 'target', o.target);
  checkNonFinite(metric, o.nonFinite);
  const bits = o.bits ?? 16;
  if (!Number.isInteger(bits) || bits < 16 || bits > 24) throw new OptionsError(`${metric}: bits must be an integer in 16..24, got ${String(o.bits)}`);
  const budgetBytes = o.budgetBytes ?? 1e9;
  if (!(budgetBytes > 0)) throw new OptionsError(`${metric}: budgetBytes must be positive, got ${String(o.budgetBytes)}`);
  const maxPasses = o.maxPasses ?? Infinity;
  if (!(maxPasses >= 0)) throw new OptionsError(`${metric}: maxPasses must be >= 0, got ${String(o.maxPasses)}`);
  if (maxFpr !== undefined && !(maxFpr > 0 && maxFpr <= 1)) throw new OptionsError(`${metric}: maxFpr must be in (0, 1], got ${String(maxFpr)}`);
  return { keys: o, target: new BinaryTarget(o, metric), histogram: { bits, budgetBytes, maxFpr }, maxPasses };
}

/** The incremental parts of a ranking metric (everything but `compute`). */
export function rankingParts(
  metric: string,
  cfg: RankingConfig,
): Pick<Metric<ScoreHistogramState>, 'init' | 'update' | 'merge' | 'nextPass'> & { status(state: ScoreHistogramState): MetricStatus } {
  return {
    init: () => initHistogram(cfg.histogram),
    update(state: ScoreHistogramState, batch: EvalBatch): ScoreHistogramState {
      let rest = batch;
      let offset = 0;
      const pred = batch[cfg.keys.pred];
      const target = batch[cfg.keys.target];
      const fast = pred instanceof Float32Array && target !== undefined && isTypedNumeric(target) && target.length === pred.length && cfg.target.isDefault01;
      // A fresh state's first batch that will not fit the small-input rows: switch to the histogram first when every row is valid (what addRows would do, without the general path).
      // Unless bad scores are skipped, a bad row fails the evaluation (a bad target always does), so the rows need no check first.
      const skips = (cfg.keys.nonFinite ?? 'error') === 'skip';
      if (fast && state.small !== null && state.small.scores.length + pred.length > SMALL_ROWS && (!skips || allDense01(pred, target))) densifyKept(state);
      if (fast && state.small === null) {
        // Check and count in one loop; rows from the first bad one on take the general path. At
        // 16 bits a bin the rows are also kept, for the refinement (histogram-kept.ts).
        const done = state.config.bits === 16 ? addDenseKept(state, pred, target, pred.length) : addDenseChecked(state, pred, target, pred.length);
        if (done === pred.length) return state;
        rest = sliceColumns(batch, done);
        offset = done;
      }
      const rows = binaryRows(rest, cfg.keys, cfg.target, metric, offset);
      addRows(state, rows.scores, rows.labels, rows.n);
      state.skipped += rows.skipped;
      // Rows of the general path are not kept: once the state is a histogram, its refinement reads the input again.
      if (rows.n > 0 && state.small === null) stopKeeping(state);
      return state;
    },
    merge(a: ScoreHistogramState, b: ScoreHistogramState): ScoreHistogramState {
      // A small side that the merge makes dense is made dense first, keeping its rows.
      const both = a.small !== null && b.small !== null && a.small.scores.length + b.small.scores.length <= SMALL_ROWS;
      const [x, y] = both ? [a, b] : [denseKeptCopy(a), denseKeptCopy(b)];
      const out = mergeHistograms(x, y);
      mergeKept(out, x, y);
      return out;
    },
    nextPass(state: ScoreHistogramState): MetricPass<ScoreHistogramState> | null {
      // Rows kept in the first pass: every pass planned below is folded from memory, with the same result.
      if (keptAll(state)) refineFromKept(state, cfg.maxPasses);
      else releaseKept(state);
      if (state.passes >= cfg.maxPasses) return null;
      const plan = planPass(state);
      if (plan === null) return null;
      const pass: MetricPass<ScoreHistogramState, RefinePass> = {
        description: `${metric}: exact order inside ${plan.bins.length} score bins (${plan.posTotal + plan.negTotal} rows)`,
        init: () => emptyPassLike(plan),
        update(p: RefinePass, batch: EvalBatch): RefinePass {
          const pred = batch[cfg.keys.pred];
          const target = batch[cfg.keys.target];
          if (pred instanceof Float32Array && target !== undefined && isTypedNumeric(target) && target.length === pred.length && cfg.target.isDefault01) {
            // The first pass validated these rows; non-finite scores fall in bins no pass selects.
            addPassRows(state, p, pred, target, pred.length);
            return p;
          }
          const rows = binaryRows(batch, cfg.keys, cfg.target, metric);
          addPassRows(state, p, rows.scores, rows.labels, rows.n);
          return p;
        },
        merge: mergePasses,
        finish: (s: ScoreHistogramState, p: RefinePass) => finishPass(s, p),
      };
      return pass;
    },
    status(state: ScoreHistogramState): MetricStatus {
      const s = summarize(state);
      return { exact: s.exact, bound: Math.max(s.aucBound, s.apBound, s.partialAucBound ?? 0), skipped: state.skipped, passes: state.passes };
    },
  };
}

/** `state`, or when it is small a dense copy of it that keeps its rows (histogram-kept.ts). */
function denseKeptCopy(state: ScoreHistogramState): ScoreHistogramState {
  const small = state.small;
  if (small === null || small.scores.length === 0) return state;
  const copy = initHistogram(state.config);
  copy.skipped = state.skipped;
  copy.small = { scores: small.scores.slice(), labels: small.labels.slice() };
  densifyKept(copy);
  return copy;
}

/** The summary, or an error when a class is missing. */
export function requireBothClasses(metric: string, state: ScoreHistogramState): RankingSummary {
  const s = summarize(state);
  if (s.positives === 0 || s.negatives === 0) {
    throw new MetricInputError(
      metric,
      `needs both classes, got ${s.positives} positive and ${s.negatives} negative rows${state.skipped > 0 ? ` (${state.skipped} skipped as non-finite)` : ''}; the metric is undefined`,
    );
  }
  return s;
}

/** Signature shared by the ranking metrics' `replicate`. */
export type RankingReplicate = (state: ScoreHistogramState, rng: Rng, results: MetricResults) => number;

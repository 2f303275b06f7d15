/**
 * AUC-ROC for multi-label data (FuseMedML's `MetricAUCROCMultLabel`, scikit-learn's
 * `roc_auc_score` on indicator targets): one score column and one 0/1 target column per label;
 * `micro` pools every (row, label) pair, `macro` averages the per-label AUCs. Exact, from score
 * histograms with their refinement passes.
 */
import { OptionsError } from '../../core/errors.js';
import type { EvalBatch, Metric, MetricPass, MetricStatus } from '../metric.js';
import { auc } from './auc.js';
import { composePasses, type Router } from './compose-passes.js';
import type { ScoreHistogramState } from './score-histogram.js';

/** Options of `multiLabelAuc`. */
export interface MultiLabelAucOptions {
  /** Result name. Default 'auc_multilabel'. */
  readonly name?: string;
  /** One score column per label. */
  readonly preds: readonly string[];
  /** One 0/1 target column per label (same order). */
  readonly targets: readonly string[];
  /** 'micro' (default) or 'macro'. */
  readonly average?: 'micro' | 'macro';
}

const PRED = '__pred';
const TARGET = '__target';

/**
 * Multi-label AUC.
 *
 * Reads `preds[k]`, `targets[k]`; writes a number under `name`. Static.
 *
 * @example
 * multiLabelAuc({ preds: ['p0', 'p1'], targets: ['y0', 'y1'], average: 'macro' });
 * @throws OptionsError on bad options; MetricInputError as `auc` (per label for macro).
 */
export function multiLabelAuc(options: MultiLabelAucOptions): Metric<ScoreHistogramState[], number> {
  const name = options.name ?? 'auc_multilabel';
  const k = options.preds.length;
  if (k < 1 || options.targets.length !== k) throw new OptionsError(`${name}: preds and targets need the same number (>= 1) of columns`);
  const average = options.average ?? 'micro';
  if (average !== 'micro' && average !== 'macro') throw new OptionsError(`${name}: average must be 'micro' or 'macro'`);
  const parts = average === 'micro' ? 1 : k;
  const inner = Array.from({ length: parts }, (_, i) => auc({ name: average === 'micro' ? name : `${name}.${i}`, pred: PRED, target: TARGET }));
  /** The rows of part `i`: label i's columns (macro), or every label stacked (micro). */
  const route: Router = (batch, i) => {
    if (average === 'macro') return { [PRED]: batch[options.preds[i] as string] ?? [], [TARGET]: batch[options.targets[i] as string] ?? [] };
    const p: unknown[] = [];
    const t: unknown[] = [];
    for (let c = 0; c < k; c++) {
      const pc = batch[options.preds[c] as string] ?? [];
      const tc = batch[options.targets[c] as string] ?? [];
      for (let r = 0; r < pc.length; r++) p.push(pc[r]);
      for (let r = 0; r < tc.length; r++) t.push(tc[r]);
    }
    return { [PRED]: p, [TARGET]: t };
  };
  const check = (batch: EvalBatch): void => {
    for (const key of [...options.preds, ...options.targets]) if (batch[key] === undefined) throw new OptionsError(`${name}: column '${key}' is missing from the batch`);
  };
  return {
    name,
    init: () => inner.map((m) => m.init()),
    update(states, batch) {
      check(batch);
      return states.map((s, i) => (inner[i] as Metric<ScoreHistogramState, number>).update(s, route(batch, i) as EvalBatch));
    },
    merge: (a, b) => a.map((s, i) => (inner[i] as Metric<ScoreHistogramState, number>).merge(s, b[i] as ScoreHistogramState)),
    nextPass(states): MetricPass<ScoreHistogramState[]> | null {
      return composePasses(inner, states, (batch, i) => route(batch, i) as EvalBatch, name);
    },
    compute(states, results) {
      const values = states.map((s, i) => (inner[i] as Metric<ScoreHistogramState, number>).compute(s, results));
      return values.reduce((a, b) => a + b, 0) / values.length;
    },
    status(states): MetricStatus {
      const st = states.map((s, i) => (inner[i] as Metric<ScoreHistogramState, number>).status?.(s) ?? { exact: true, bound: 0, skipped: 0, passes: 0 });
      return {
        exact: st.every((s) => s.exact),
        bound: Math.max(...st.map((s) => s.bound)),
        skipped: st.reduce((a, s) => a + s.skipped, 0),
        passes: Math.max(...st.map((s) => s.passes)),
      };
    },
  };
}

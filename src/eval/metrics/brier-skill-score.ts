/**
 * Brier skill score: 1 − BS / BS_ref, the reference predicting the class prevalence for every
 * row (FuseMedML's `MetricBSS`).
 */
import type { Metric } from '../metric.js';
import { brierParts, brierRows, type BrierOptions, type BrierState } from './brier.js';
import { probReader } from './prob-rows.js';

/** Options of `brierSkillScore`. */
export type BrierSkillScoreOptions = BrierOptions;

/**
 * Brier skill score. BS_ref = 1 − Σ_k prevalence_k² for multi-class, prevalence·(1 − prevalence)
 * for binary.
 *
 * Reads `pred` or `preds` and `target`; writes a number under `name` (default `'bss'`). Static.
 *
 * @example
 * const m = brierSkillScore({ pred: 'p', target: 'y' });
 * m.compute(m.update(m.init(), { p: [0.1, 0.9, 0.8, 0.3], y: [0, 1, 1, 0] }), {}); // 0.85
 * @throws OptionsError on bad options; MetricInputError on bad input, no rows, or a constant target (BS_ref = 0).
 */
export function brierSkillScore(options: BrierSkillScoreOptions): Metric<BrierState, number> {
  const name = options.name ?? 'bss';
  const reader = probReader(name, options);
  return {
    name,
    ...brierParts(name, reader),
    compute(s) {
      const n = brierRows(name, s);
      const bs = s.squared.value() / n;
      let ref: number;
      if (reader.binary) {
        const prev = (s.support[1] as number) / n;
        ref = prev * (1 - prev);
      } else {
        let sq = 0;
        for (const c of s.support) sq += (c / n) ** 2;
        ref = 1 - sq;
      }
      return 1 - bs / ref;
    },
  };
}

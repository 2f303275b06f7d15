/**
 * Expected and maximum calibration error over equal-width confidence bins.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { calibrationParts, checkBins, diagramOf, type CalibrationState, type ReliabilityDiagramOptions } from './reliability-diagram.js';

/** Options of `ece`. */
export interface EceOptions extends ReliabilityDiagramOptions {
  /**
   * What a bin's accuracy is compared with: `'confidence'` (default; the bin's mean confidence,
   * Guo et al. 2017) or `'upper-edge'` (the bin's upper edge, FuseMedML's `MetricECE`).
   */
  readonly binReference?: 'confidence' | 'upper-edge';
}

/** ECE and MCE. */
export interface EceResult {
  /** Σ_b n_b · |acc_b − ref_b| / N. */
  readonly ece: number;
  /** max over non-empty bins of |acc_b − ref_b|. */
  readonly mce: number;
}

/**
 * Expected calibration error (ECE) and maximum calibration error (MCE).
 *
 * Reads `pred` or `preds` and `target`; writes `{ ece, mce }` under `name` (default `'ece'`).
 * Static; exact bin sums, bounded state (numBins entries).
 *
 * @example
 * const m = ece({ preds: ['p0', 'p1'], target: 'y', numBins: 10 });
 * @throws OptionsError on bad options; MetricInputError on bad input or no rows.
 */
export function ece(options: EceOptions): Metric<CalibrationState, EceResult> {
  const name = options.name ?? 'ece';
  const bins = checkBins(name, options.numBins);
  const ref = options.binReference ?? 'confidence';
  if (ref !== 'confidence' && ref !== 'upper-edge') throw new OptionsError(`${name}: binReference must be 'confidence' or 'upper-edge'`);
  return {
    name,
    ...calibrationParts(name, options, bins),
    compute(s) {
      const d = diagramOf(name, s);
      let sum = 0;
      let mce = 0;
      d.num_samples_per_bin.forEach((n, b) => {
        if (n === 0) return;
        const target = ref === 'upper-edge' ? (b + 1) / bins : (d.confidence[b] as number);
        const gap = Math.abs((d.accuracy[b] as number) - target);
        sum += n * gap;
        mce = Math.max(mce, gap);
      });
      return { ece: sum / d.total_samples, mce };
    },
  };
}

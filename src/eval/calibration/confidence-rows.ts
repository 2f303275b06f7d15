/**
 * Confidence and correctness per row for calibration: confidence = the largest class
 * probability, correct = its class (argmax, ties to the lower index) is the target. A binary
 * `pred` is read as [1 − p, p].
 */
import { probReader, type ProbKeys, type ProbReader } from '../metrics/prob-rows.js';
import type { EvalBatch } from '../metric.js';

/** Confidence and correctness of the rows of a batch. */
export interface ConfidenceRows {
  readonly confidence: Float64Array;
  readonly correct: Uint8Array;
  readonly n: number;
  readonly skipped: number;
}

/** A reader of confidences. */
export function confidenceReader(metric: string, keys: ProbKeys): (batch: EvalBatch) => ConfidenceRows {
  const reader: ProbReader = probReader(metric, keys);
  return (batch) => {
    const r = reader.read(batch);
    const confidence = new Float64Array(r.n);
    const correct = new Uint8Array(r.n);
    for (let i = 0; i < r.n; i++) {
      let best = 0;
      let bestV: number;
      if (r.k === 1) {
        const p = r.probs[i] as number;
        bestV = 1 - p;
        if (p > bestV) {
          best = 1;
          bestV = p;
        }
      } else {
        bestV = r.probs[i * r.k] as number;
        for (let c = 1; c < r.k; c++) {
          const v = r.probs[i * r.k + c] as number;
          if (v > bestV) {
            bestV = v;
            best = c;
          }
        }
      }
      confidence[i] = bestV;
      correct[i] = best === r.truth[i] ? 1 : 0;
    }
    return { confidence, correct, n: r.n, skipped: r.skipped };
  };
}

/**
 * The run of the kill-and-resume test for fit's newer features: the breast-cancer MLP (batch norm,
 * seeded dropout) with gradient accumulation (3 micro-batches of 16), a plateau scheduler that
 * halves the rate after every epoch but the first (no validation loss beats an absolute
 * threshold of 1), a validation set, clipping, a cosine schedule and a checkpoint after every update.
 */
import type { FitOptions } from '../../../src/trainer/fit.js';
import { crossEntropy } from '../../../src/trainer/losses/cross-entropy.js';
import { tabularModel, trainBatches, validationBatches } from './tabular.js';

/** Fit's options for the run in `dir` (`changes` replaces some, for the refused-resume checks). */
export function featuresRun(dir: string, changes: Partial<FitOptions> = {}): FitOptions {
  return {
    model: tabularModel(11, true, 0.2),
    losses: [crossEntropy({ pred: 'model.logits.cls', target: 'data.label' })],
    train: trainBatches(200, 16),
    validation: validationBatches(200, 264, 32),
    epochs: 4,
    seed: 99,
    dir,
    schedule: { type: 'cosine', lr: 0.02, totalSteps: 20, warmupSteps: 2 },
    clipNorm: 1,
    accumulate: 3,
    reduceOnPlateau: { factor: 0.5, patience: 0, threshold: 1, thresholdMode: 'abs' },
    checkpointEverySteps: 1,
    progress: false,
    backend: 'current',
    ...changes,
  };
}

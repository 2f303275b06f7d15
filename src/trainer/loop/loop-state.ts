/**
 * The fit loop's position and running sums (what Lightning keeps in its loops' progress
 * trackers): one mutable record that the stages advance and that every checkpoint stores as
 * `trainState.loop`. Its key order is part of the checkpoint bytes, so it is fixed here.
 */

/** Where the run is, what is best so far, and the running sums of the epoch in progress. */
export interface LoopState {
  /** Epoch in progress (0-based); the number of finished epochs. */
  epoch: number;
  /** Samples of this epoch already trained on (the training stream resumes after them). */
  position: number;
  /** Optimizer steps taken so far (all epochs). */
  step: number;
  /** Best monitored value so far, or null before the first epoch ends. */
  bestValue: number | null;
  /** Epoch of `bestValue`, or null. */
  bestEpoch: number | null;
  /** Epochs since the monitored value last improved (early stopping counts them). */
  badEpochs: number;
  /** Sum over this epoch's steps of each loss value (`total` and each loss by name). */
  sums: Record<string, number>;
  /** Steps taken this epoch. */
  batches: number;
  /** Samples trained on this epoch. */
  samples: number;
}

/**
 * The state of a new run: epoch 0, nothing trained, no best value.
 * @example const state = newLoopState(); // { epoch: 0, position: 0, step: 0, bestValue: null, … }
 */
export function newLoopState(): LoopState {
  return { epoch: 0, position: 0, step: 0, bestValue: null, bestEpoch: null, badEpochs: 0, sums: {}, batches: 0, samples: 0 };
}

/**
 * Moves `state` to the start of the next epoch: the epoch count advances, the stream position,
 * running sums and counts restart at zero; step and best-value tracking carry on.
 * @example endEpoch(state); // state.epoch + 1, position 0, sums {}
 */
export function endEpoch(state: LoopState): void {
  state.epoch += 1;
  state.position = 0;
  state.sums = {};
  state.batches = 0;
  state.samples = 0;
}

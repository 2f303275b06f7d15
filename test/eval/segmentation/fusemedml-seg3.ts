/**
 * The masks of FuseMedML's test_eval_example_seg_3 (a 4×2 prediction [[1,0],[0,1],[1,0],[0,1]]
 * against an all-ones target, label 1): Hausdorff 1.0; Dice 2/3, overlap 1, pixel accuracy 0.5,
 * IoU 0.5 (weighted uniformly or not).
 */

/** The prediction. */
export const SEG3_PRED: readonly (readonly number[])[] = [
  [1, 0],
  [0, 1],
  [1, 0],
  [0, 1],
];

/** The target. */
export const SEG3_TARGET: readonly (readonly number[])[] = [
  [1, 1],
  [1, 1],
  [1, 1],
  [1, 1],
];

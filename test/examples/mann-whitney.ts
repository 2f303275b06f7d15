/**
 * The examples' tests' independent AUC reference: the Mann–Whitney statistic, the fraction of
 * (positive, negative) pairs ranked right, ties counting half. Quadratic: for the small replicas.
 */
export function mannWhitney(scores: readonly number[], positive: readonly boolean[]): number {
  let right = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!positive[i]) return;
    scores.forEach((n, j) => {
      if (positive[j]) return;
      pairs++;
      right += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return right / pairs;
}

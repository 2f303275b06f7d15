/**
 * A one-hot vector of length `n` with a 1 at `index`; `index` undefined gives all zeros (the
 * encoding of a missing category where the data set's baseline uses it).
 * @example oneHotVector(1, 3) // [0, 1, 0]
 */
export function oneHotVector(index: number | undefined, n: number): number[] {
  const v = new Array<number>(n).fill(0);
  if (index !== undefined) v[index] = 1;
  return v;
}

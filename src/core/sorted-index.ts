/**
 * Binary search in an ascending array of whole numbers (class ids of kept-key runs, in memory and
 * in a kept-keys file): one search written once for every such table.
 */

/**
 * The index of `value` in `sorted` (ascending, no repeats), or -1 when it is not there.
 * @example sortedIndexOf(Int32Array.of(2, 5, 9), 5); // 1
 */
export function sortedIndexOf(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = sorted[mid] as number;
    if (x === value) return mid;
    if (x < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

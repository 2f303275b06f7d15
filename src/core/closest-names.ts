/**
 * The names closest to a misspelt one (Levenshtein edit distance), for messages such as
 * "no column 'scroe'; closest: 'score', 'scores'" instead of a list of every column.
 */

/**
 * The `n` names of `names` closest to `name` by edit distance (ties: shorter first, then
 * alphabetical).
 *
 * @example
 * closestNames(['id', 'score', 'target', 'fold'], 'scroe'); // ['score', 'fold', 'id']
 */
export function closestNames(names: readonly string[], name: string, n = 3): string[] {
  return names
    .map((p) => ({ p, d: editDistance(p, name) }))
    .sort((x, y) => x.d - y.d || x.p.length - y.p.length || (x.p < y.p ? -1 : x.p > y.p ? 1 : 0))
    .slice(0, n)
    .map((x) => x.p);
}

/**
 * Message tail naming the closest names and how many there are in all, e.g.
 * `closest: 'score', 'fold', 'id' (of 12 columns)`; `there are no columns` when `names` is empty.
 *
 * @example
 * closestText(['id', 'score'], 'scroe'); // "closest: 'score', 'id' (of 2 columns)"
 */
export function closestText(names: readonly string[], name: string, what = 'columns', n = 3): string {
  if (names.length === 0) return `there are no ${what}`;
  return `closest: ${closestNames(names, name, n)
    .map((c) => `'${c}'`)
    .join(', ')} (of ${names.length} ${what})`;
}

/** Levenshtein distance between `a` and `b` (two rows of the table). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

import { statSync } from 'node:fs';

/** Parsed files kept per thread; at most this many (oldest dropped first). */
export const FILE_MEMO_ENTRIES = 8;

const memo = new Map<string, { readonly stamp: string; readonly value: unknown }>();

/**
 * `parse(path)`, computed once per file version (path, size and mtime) in this thread, so an op
 * that looks rows up in a table reads the table once, not once per sample. Holds at most
 * {@link FILE_MEMO_ENTRIES} files.
 * @example const table = memoizedFile('/data/knight.json', parseKnightJson);
 * @throws whatever `parse` throws (nothing is kept then).
 */
export function memoizedFile<T>(path: string, parse: (path: string) => T): T {
  const s = statSync(path);
  const stamp = `${s.size}:${s.mtimeMs}`;
  const hit = memo.get(path);
  if (hit !== undefined && hit.stamp === stamp) return hit.value as T;
  const value = parse(path);
  memo.delete(path);
  memo.set(path, { stamp, value });
  while (memo.size > FILE_MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
  return value;
}

/**
 * Which files a computation read: ops that read input files call {@link noteFileRead}, and a
 * caller that needs the list (the static cache, which records each entry's input files so a file
 * replaced on disk makes the entry stale) runs the computation inside {@link withFileReads}.
 * Scoped with AsyncLocalStorage, so concurrent computations keep separate lists; outside
 * `withFileReads` a note costs one lookup and is dropped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';

const current = new AsyncLocalStorage<Set<string>>();

/**
 * Notes that the running op read `path` (a file, or a folder read as a whole). Call it from an
 * op's `apply` for each input file it reads.
 * @example apply: async (s, ctx, o) => { noteFileRead(o.file); ... }
 */
export function noteFileRead(path: string): void {
  current.getStore()?.add(resolve(path));
}

/**
 * Runs `fn` and returns its value with the absolute paths noted during it (in the order first noted).
 * @example const { value, files } = await withFileReads(() => runPipeline(p, sample, run));
 */
export async function withFileReads<T>(fn: () => T | PromiseLike<T>): Promise<{ readonly value: T; readonly files: readonly string[] }> {
  const files = new Set<string>();
  const value = await current.run(files, fn);
  return { value, files: [...files] };
}

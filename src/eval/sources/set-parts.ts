/**
 * Which sources a file set reads, kept apart from file-set-source.ts so that parallel
 * evaluation's worker threads can look a set's parts up without loading every input format.
 */
import type { EvalSource } from './eval-source.js';

const setParts = new WeakMap<EvalSource, readonly EvalSource[]>();

/** Records that `set` reads `parts` one after the other (called by fileSetSource). */
export function recordSetParts(set: EvalSource, parts: readonly EvalSource[]): void {
  setParts.set(set, parts);
}

/** The sources a fileSetSource reads one after the other, when `source` is one (parallel evaluation plans reads over them). */
export function fileSetPartsOf(source: EvalSource): readonly EvalSource[] | undefined {
  return setParts.get(source);
}

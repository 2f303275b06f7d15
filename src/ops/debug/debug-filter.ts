/**
 * Which samples a debug op prints: the first `first` samples it sees (per thread) and any whose
 * id is listed. Shared by the debug ops.
 */
import { OptionsError } from '../../core/errors.js';

/** Options common to the debug ops. */
export interface DebugFilterOptions {
  /** Print the first N samples seen by this op instance (per thread). Default 0. */
  readonly first?: number;
  /** Print these sample ids. Default none. */
  readonly ids?: readonly string[];
  /** Where to print. Default `'stderr'` (stdout may carry JSON output). */
  readonly stream?: 'stdout' | 'stderr';
}

/** Mutable per-op counter deciding whether a sample is printed. */
export interface DebugFilter {
  wants(sampleId: string): boolean;
  print(text: string): void;
}

export function validateDebug(op: string, o: DebugFilterOptions): void {
  if (o.first !== undefined && (!Number.isInteger(o.first) || o.first < 0)) throw new OptionsError(`op '${op}': option 'first' must be a non-negative integer`);
  if (o.ids !== undefined && !Array.isArray(o.ids)) throw new OptionsError(`op '${op}': option 'ids' must be a list of sample ids`);
  if ((o.first ?? 0) === 0 && (o.ids ?? []).length === 0) throw new OptionsError(`op '${op}': give 'first' > 0 or some 'ids', otherwise it prints nothing`);
}

export function debugFilter(o: DebugFilterOptions): DebugFilter {
  let seen = 0;
  const ids = new Set(o.ids ?? []);
  const out = o.stream === 'stdout' ? process.stdout : process.stderr;
  return {
    wants: (id) => {
      seen++;
      return seen <= (o.first ?? 0) || ids.has(id);
    },
    print: (text) => {
      out.write(`${text}\n`);
    },
  };
}

/**
 * Verifying a cache folder entry by entry: each record decodes and sits under its own key, its
 * checksum matches its metadata and payloads, the payloads decode to the commit fingerprint, the
 * files it was computed from are unchanged, and (with `recompute`) a fresh run agrees.
 */
import { fingerprint } from '../core/fingerprint.js';
import type { Sample } from '../core/sample.js';
import { StaleCacheError } from './audit.js';
import type { CacheEntry } from './cache-entry.js';
import { decodeEntry } from './entry-record.js';
import { idKey, type EntryStoreView } from './entry-store.js';
import { changedInput } from './input-files.js';

/** One problem found by {@link verifyCache}. */
export interface VerifyProblem {
  readonly initialId: string;
  /**
   * `damaged-entry`: the entry record does not decode; `checksum-mismatch`: metadata or payload bytes
   * changed after commit; `missing-payload`; `corrupt-payload`: payloads decode but differ from the
   * commit fingerprint; `stale-input`: a file the pipeline read changed on disk; `stale`: a fresh run
   * differs (with `recompute`).
   */
  readonly kind: 'damaged-entry' | 'checksum-mismatch' | 'missing-payload' | 'corrupt-payload' | 'stale-input' | 'stale';
  readonly message: string;
}

/** Options of {@link verifyCache}. */
export interface VerifyOptions {
  /** Also rerun the static pipeline per entry and compare (naming the first op that differs). Default `false`. */
  readonly recompute?: boolean;
  /** Called with each entry's initial id (or a damaged record's key) as it is checked. */
  readonly onEntry?: (initialId: string) => void;
}

/** What {@link verifyCache} needs of a cache. */
export interface VerifiedCache {
  readonly folder: string;
  readonly store: EntryStoreView;
  /** Recomputes one entry and throws a StaleCacheError when it differs. */
  readonly audit: (initialId: string, entry: CacheEntry) => Promise<void>;
}

/**
 * Checks every entry of `cache` (what `SampleCache.verify` runs); problems are returned, not thrown.
 * @example const problems = await verifyCache({ folder, store, audit }, { recompute: true });
 * @throws {FuseflowError} from `audit` other than a StaleCacheError (e.g. an op that cannot be built).
 */
export async function verifyCache(cache: VerifiedCache, options: VerifyOptions = {}): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const { key, value } of cache.store.records()) {
    let entry: CacheEntry;
    try {
      entry = decodeEntry(value, cache.folder, `'${key}'`);
    } catch (err) {
      options.onEntry?.(key);
      problems.push({ initialId: `(record ${key})`, kind: 'damaged-entry', message: (err as Error).message });
      continue;
    }
    options.onEntry?.(entry.initialId);
    if (idKey(entry.initialId) !== key) {
      problems.push({
        initialId: entry.initialId,
        kind: 'damaged-entry',
        message: `cache ${cache.folder}: record '${key}' holds the entry of '${entry.initialId}', whose key differs (damaged LMDB key)`,
      });
      continue;
    }
    const problem = checkEntry(cache, entry);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    if (options.recompute === true) {
      try {
        await cache.audit(entry.initialId, entry);
      } catch (err) {
        if (!(err instanceof StaleCacheError)) throw err;
        problems.push({ initialId: entry.initialId, kind: 'stale', message: err.message });
      }
    }
  }
  return problems;
}

/** The first problem of one decoded entry (without recomputing), or `undefined`. */
function checkEntry(cache: VerifiedCache, entry: CacheEntry): VerifyProblem | undefined {
  const id = entry.initialId;
  let outputs: readonly Sample[];
  try {
    outputs = cache.store.readOutputs(id, entry);
  } catch (err) {
    const message = (err as Error).message;
    return { initialId: id, kind: /checksum mismatch/.test(message) ? 'checksum-mismatch' : /is missing/.test(message) ? 'missing-payload' : 'corrupt-payload', message };
  }
  if (fingerprint(outputs) !== entry.outputFingerprint) {
    return { initialId: id, kind: 'corrupt-payload', message: `stored payloads of '${id}' do not match the fingerprint recorded at commit` };
  }
  const changed = changedInput(entry.inputs);
  if (changed !== undefined) {
    return { initialId: id, kind: 'stale-input', message: `input ${changed.kind} ${changed.path} changed on disk since '${id}' was cached; the next read recomputes it` };
  }
  return undefined;
}

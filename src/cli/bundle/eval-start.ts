/**
 * Starts `fuseflow eval` from the bundle's classic script (`eval-start.cjs`, build-eval-start.ts)
 * compiled with a V8 code cache, which spares each start most of compiling the bundle (~1 MB):
 * Node 20 keeps no cache for ES modules.
 *
 * The cache is `eval-start.<source hash>-<V8 tag>.v8cache` in the bundle folder (the package's
 * own, never a folder of the user's data): keyed by the SHA-256 of the script and by
 * `v8.cachedDataVersionTag()` (V8's version, its flags, the CPU's features), prefixed by the
 * SHA-256 of the cache bytes themselves, checked before V8 sees them. A missing, damaged or
 * rejected cache (`script.cachedDataRejected`) is not an error: the script compiles from source
 * and, once its top level has run (before the command), the cache is written anew through a
 * writer-named temporary and a rename (safe-fs), so starts running at once each read a whole file
 * or none. A folder the user
 * cannot write (a system-wide install) keeps no cache; nothing is said unless
 * `FUSEFLOW_DEBUG_START=1`.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedDataVersionTag } from 'node:v8';
import { Script } from 'node:vm';
import { writeFileAtomic } from '../../core/safe-fs.js';

/** The script's file name in the bundle folder. */
export const EVAL_START_FILE = 'eval-start.cjs';

/** The parameters the script's wrapper function takes, in order (the last two: its `import.meta` and `import()`). */
export const EVAL_START_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__fuseflowImportMeta', '__fuseflowImport'] as const;

/** What a code-cached start hands back: the command, and how its cache went. */
export interface EvalStart {
  readonly runEvalCommand: (argv: readonly string[]) => Promise<number>;
  /** `hit`: V8 took the cache; `written`: there was none (or it was refused) and a new one was written; `unwritable`: the folder refused it. */
  readonly cache: 'hit' | 'written' | 'unwritable';
  /** Why the cache was not used, when it was not. */
  readonly why: string | undefined;
}

const DIGEST = 32;

/** The cache file of `script` (its text) for this V8. */
export function codeCachePath(bundleDir: string, script: Uint8Array): string {
  const source = createHash('sha256').update(script).digest('hex').slice(0, 20);
  return join(bundleDir, `eval-start.${source}-${cachedDataVersionTag().toString(16)}.v8cache`);
}

/** The cache bytes in `file` when whole (their digest matches), else why not. */
function readCache(file: string): { data: Buffer } | { why: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { why: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no cache yet' : `cache unreadable (${(err as Error).message})` };
  }
  if (bytes.length <= DIGEST) return { why: 'cache truncated' };
  const data = bytes.subarray(DIGEST);
  if (!createHash('sha256').update(data).digest().equals(bytes.subarray(0, DIGEST))) return { why: 'cache damaged (digest mismatch)' };
  return { data };
}

/** Writes the cache of `script` to `file` (digest, then V8's bytes); false when the folder refuses it. */
function writeCache(file: string, script: Script): boolean {
  try {
    // A folder this user cannot write (a system-wide install): no cache, and no time spent making one.
    accessSync(dirname(file), constants.W_OK);
  } catch {
    return false;
  }
  const data = script.createCachedData();
  try {
    writeFileAtomic(file, [createHash('sha256').update(data).digest(), data], { overwrite: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles and runs `bundleDir/eval-start.cjs` with its code cache (see the module comment) and
 * returns its command, writing the cache when there was none to use.
 * @throws Error when the script is missing or does not export the command (the caller falls back to the ES bundle).
 */
export function startFromScript(bundleDir: string): EvalStart {
  const file = join(bundleDir, EVAL_START_FILE);
  // ASCII (printable ASCII, checked when built): latin1 makes the one-byte string V8 parses fastest.
  const bytes = readFileSync(file);
  const source = bytes.toString('latin1');
  const cacheFile = codeCachePath(bundleDir, bytes);
  const cached = readCache(cacheFile);
  const wrapped = `(function (${EVAL_START_PARAMS.join(', ')}) {${source}\n})`;
  const script = new Script(wrapped, { filename: file, ...('data' in cached ? { cachedData: cached.data } : {}) });
  const why = 'why' in cached ? cached.why : script.cachedDataRejected === true ? 'cache rejected by V8' : undefined;
  const url = pathToFileURL(file).href;
  const module = { exports: {} as { runEvalCommand?: unknown; evalMetrics?: unknown } };
  const metricsUrl = new URL('./eval-metrics.js', url).href;
  const importMeta = { url, resolve: (specifier: string): string => import.meta.resolve(specifier) };
  const dynamicImport = (specifier: string): Promise<unknown> => {
    const href = specifier.startsWith('.') ? new URL(specifier, url).href : specifier;
    // The script's own metric recipe: the main thread's metrics are its classes.
    if (href === metricsUrl && module.exports.evalMetrics !== undefined) return Promise.resolve(module.exports.evalMetrics);
    return import(href);
  };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, dirname(file), importMeta, dynamicImport);
  const command = module.exports.runEvalCommand;
  if (typeof command !== 'function') throw new Error(`${EVAL_START_FILE} exports no runEvalCommand`);
  // Written once the script has run its top level (what V8 compiled by then: the same for every command).
  const cache = why === undefined ? 'hit' : writeCache(cacheFile, script) ? 'written' : 'unwritable';
  return { runEvalCommand: command as (argv: readonly string[]) => Promise<number>, cache, why };
}

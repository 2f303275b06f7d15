/**
 * Rebuilding a pipeline inside a worker thread: imports the built-in op families (one list,
 * src/ops/builtin-ops) and the modules of user ops named in the specs, then builds the pipeline through the registry. Built pipelines
 * are memoized per spec, so a worker pays once.
 *
 * Under tsx (TypeScript sources, as in tests) a worker thread can only load `.ts` files through
 * tsx's CommonJS hook — Node 20 does not apply `--import tsx` ESM hooks inside workers — so
 * modules are loaded with `require` there, keeping one registry instance per thread. Compiled
 * code uses `import()`.
 */
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { canonicalize } from '../core/fingerprint.js';
import { opModulesOf } from '../ops/registry.js';
import { pipelineFromSpec, type Pipeline, type PipelineSpec } from '../ops/pipeline.js';

const fromSource = import.meta.url.endsWith('.ts');

async function load(pathOrUrl: string): Promise<void> {
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl) && !isAbsolute(pathOrUrl);
  if (fromSource) {
    const path = isUrl ? fileURLToPath(pathOrUrl) : pathOrUrl;
    try {
      createRequire(import.meta.url)(path);
      return;
    } catch {
      // Not under tsx's CommonJS hook (e.g. a test runner's own loader): import() below.
    }
  }
  await import(isUrl ? pathOrUrl : pathToFileURL(pathOrUrl).href);
}

let builtins: Promise<void> | undefined;

/**
 * Imports the built-in op families once: src/ops/builtin-ops, the one list of every family (the
 * same module the registry test walks), so a worker never knows fewer ops than the main thread.
 */
export function loadBuiltinOps(): Promise<void> {
  if (builtins === undefined) {
    builtins = load(new URL(`../ops/builtin-ops${fromSource ? '.ts' : '.js'}`, import.meta.url).href);
    builtins.catch(() => (builtins = undefined)); // a failed import is retried by the next task
  }
  return builtins;
}

const built = new Map<string, Promise<Pipeline>>();

/** The pipeline for `spec`, built once per thread (memoized on the spec's canonical form). */
export function rebuildPipeline(spec: PipelineSpec): Promise<Pipeline> {
  const key = canonicalize(spec);
  let p = built.get(key);
  if (p === undefined) {
    p = (async () => {
      try {
        return pipelineFromSpec(spec); // every op already registered in this thread
      } catch {
        // load the op modules, then build
      }
      await loadBuiltinOps();
      for (const m of opModulesOf(spec.ops)) await load(m);
      return pipelineFromSpec(spec);
    })();
    built.set(key, p);
    p.catch(() => built.delete(key));
  }
  return p;
}

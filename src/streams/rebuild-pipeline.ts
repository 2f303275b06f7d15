/**
 * Rebuilding a pipeline inside a worker thread: imports the built-in op families and the modules
 * of user ops named in the specs, then builds the pipeline through the registry. Built pipelines
 * are memoized per spec, so a worker pays once.
 *
 * Under tsx (TypeScript sources, as in tests) a worker thread can only load `.ts` files through
 * tsx's CommonJS hook — Node 20 does not apply `--import tsx` ESM hooks inside workers — so
 * modules are loaded with `require` there, keeping one registry instance per thread. Compiled
 * code uses `import()`.
 */
import { existsSync } from 'node:fs';
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
 * Modules whose import registers the built-in ops: the ops barrel, the image family's barrel and
 * the image reader op (which that barrel leaves out). Missing ones are skipped.
 */
const BUILTIN_BARRELS = ['../ops/index', '../ops/image/index', '../ops/image/load-image'] as const;

/** Imports the built-in op families once (skipping a barrel that does not exist). */
export function loadBuiltinOps(): Promise<void> {
  if (builtins === undefined) {
    builtins = (async () => {
      for (const barrel of BUILTIN_BARRELS) {
        const url = new URL(`${barrel}${fromSource ? '.ts' : '.js'}`, import.meta.url);
        if (existsSync(fileURLToPath(url))) await load(url.href);
      }
    })();
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

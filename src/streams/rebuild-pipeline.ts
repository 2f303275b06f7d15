/**
 * Rebuilding a pipeline inside a worker thread: imports the built-in op families (when
 * `src/ops/index` exists) and the modules of user ops named in the specs, then builds the
 * pipeline through the registry. Built pipelines are memoized per spec, so a worker pays once.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalize } from '../core/fingerprint.js';
import { pipelineFromSpec, type Pipeline, type PipelineSpec } from '../ops/pipeline.js';
import { importOpModules } from '../ops/registry.js';

let builtins: Promise<void> | undefined;

/** Imports the built-in op families once (no-op when the ops barrel is absent). */
export function loadBuiltinOps(): Promise<void> {
  if (builtins === undefined) {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const url = new URL(`../ops/index${ext}`, import.meta.url);
    builtins = existsSync(fileURLToPath(url)) ? import(url.href).then(() => undefined) : Promise.resolve();
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
      await loadBuiltinOps();
      await importOpModules(spec.ops);
      return pipelineFromSpec(spec);
    })();
    built.set(key, p);
    p.catch(() => built.delete(key));
  }
  return p;
}

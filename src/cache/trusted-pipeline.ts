/**
 * Rebuilding a cache folder's static pipeline without running code the folder names: the
 * `module` paths recorded in `pipeline.json` are data found on disk (a folder copied from
 * elsewhere could name any file), so they are never imported. Built-in ops load as usual; user
 * ops must already be registered in this process or come from modules the user names
 * (`--ops-module FILE`, `openCacheFolder(folder, { opsModules })`).
 */
import { resolve } from 'node:path';
import { FuseflowError } from '../core/errors.js';
import { pipelineFromSpec, type Pipeline, type PipelineSpec } from '../ops/pipeline.js';
import { isRegistered, registerModule } from '../ops/registry.js';
import { loadBuiltinOps } from '../workers/rebuild-pipeline.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** A deep copy of `value` with the `module` of every op spec removed; collects the user ops (name → recorded module). */
function stripModules(value: unknown, userOps: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => stripModules(v, userOps));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const isSpec = typeof value['name'] === 'string' && typeof value['module'] === 'string';
  if (isSpec) userOps.set(value['name'] as string, value['module'] as string);
  for (const [k, v] of Object.entries(value)) if (!(isSpec && k === 'module')) out[k] = stripModules(v, userOps);
  return out;
}

/**
 * The static pipeline of the cache at `folder`, built from `spec` with built-in ops, ops already
 * registered, and the modules in `opsModules` (imported here, in order) — never from the modules
 * the spec names.
 * @example const p = await trustedPipeline(folder, desc.spec, ['./my-ops.js']);
 * @throws {FuseflowError} naming the user ops that are not registered and the flag to pass, or a
 *   module of `opsModules` that cannot be imported.
 */
export async function trustedPipeline(folder: string, spec: PipelineSpec, opsModules: readonly string[]): Promise<Pipeline> {
  const userOps = new Map<string, string>();
  const stripped = stripModules(spec, userOps) as PipelineSpec;
  await loadBuiltinOps();
  for (const m of opsModules) {
    try {
      await registerModule(/^[a-z][a-z0-9+.-]*:/i.test(m) ? m : resolve(m));
    } catch (err) {
      throw new FuseflowError(`cannot import ops module ${m}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const missing = [...userOps.keys()].filter((name) => !isRegistered(name));
  if (missing.length > 0) {
    throw new FuseflowError(
      `cache ${folder}: its static pipeline uses user ops (${missing.join(', ')}) that are not loaded. fuseflow never imports code a cache folder names ` +
        `(pipeline.json records ${[...new Set(missing.map((n) => userOps.get(n)))].join(', ')}); pass the module that defines them yourself: ` +
        `--ops-module FILE (library: openCacheFolder(folder, { opsModules: [FILE] }))`,
    );
  }
  try {
    return pipelineFromSpec(stripped);
  } catch (err) {
    throw new FuseflowError(`cache ${folder}: cannot rebuild its static pipeline (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

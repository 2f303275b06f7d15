/**
 * Piscina worker for bench/cache's memory measure: opens the shared cache folder (LMDB readers,
 * one environment per thread, the same file for all) and reads every id.
 */
import { openCacheFolder } from '../../src/cache/open-cache.js';
import type { SampleCache } from '../../src/cache/sample-cache.js';

let cache: Promise<SampleCache> | undefined;

/** Reads `ids` from the cache at `folder` `passes` times; returns the bytes of tensor data seen. */
export async function readAll(task: { readonly folder: string; readonly ids: readonly string[]; readonly passes: number }): Promise<number> {
  cache ??= openCacheFolder(task.folder, { audit: false });
  const c = await cache;
  let bytes = 0;
  for (let p = 0; p < task.passes; p++) {
    for (const id of task.ids) {
      for (const s of (await c.get(id)) ?? []) bytes += (s as { img?: { data?: ArrayBufferView } }).img?.data?.byteLength ?? 0;
    }
  }
  return bytes;
}

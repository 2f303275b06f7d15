/**
 * Child process of the id-column memory test: fills shard INDEX of SHARDS of id-column-dataset.ts
 * over the Arrow id file FILE into TO, and prints `{ ids, total, peakRssMb }` — peak RSS from VmHWM
 * of /proc/self/status (the kernel's high-water mark of this process alone).
 * Usage: node --import tsx scan-rss-child.ts FILE SHARDS INDEX TO LOCAL
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDatasetModule } from '../../../src/cache/sharded/dataset-module.js';
import { fillShard } from '../../../src/cache/sharded/fill-shard.js';

const [file, shards, index, to, local] = process.argv.slice(2);
if (file === undefined || shards === undefined || index === undefined || to === undefined || local === undefined) {
  console.error('usage: scan-rss-child.ts FILE SHARDS INDEX TO LOCAL');
  process.exit(2);
}
process.env['FUSEFLOW_TEST_ID_FILE'] = file;
const ds = await loadDatasetModule(fileURLToPath(new URL('./id-column-dataset.ts', import.meta.url)));
const r = await fillShard({ dataset: ds, shards: Number(shards), index: Number(index), to, local, threads: 0 });
const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
console.log(JSON.stringify({ ids: r.ids, total: ds.ids.length, peakRssMb }));

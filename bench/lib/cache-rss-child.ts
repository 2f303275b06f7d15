/**
 * Child process for bench/cache: starts THREADS worker threads that each read the whole cache at
 * FOLDER, sampling this process's RSS every 10 ms, and prints `{ threads, startRss, baseRss,
 * peakRss, mdbMappings, mdbRss }` — the last two from /proc/self/smaps (Linux): how many times the
 * LMDB file is mapped into the process and how much of it is resident.
 * Usage: node --import tsx bench/lib/cache-rss-child.ts FOLDER THREADS IDS_JSON
 */
import { existsSync, readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import { workerEntry } from '../../src/core/workers.js';
import type { readAll } from './cache-read-worker.js';

const [folder, threadsArg, idsJson] = process.argv.slice(2);
if (folder === undefined || threadsArg === undefined || idsJson === undefined) {
  console.error('usage: cache-rss-child.ts FOLDER THREADS IDS_JSON');
  process.exit(2);
}
const threads = Number(threadsArg);
const startRss = process.memoryUsage().rss;
const ids = JSON.parse(idsJson) as string[];
const { filename, execArgv } = workerEntry(import.meta.url, './cache-read-worker');
const pool = new Piscina<Parameters<typeof readAll>[0], Awaited<ReturnType<typeof readAll>>>({
  filename,
  execArgv: [...execArgv],
  name: 'readAll',
  minThreads: threads,
  maxThreads: threads,
});
// Warm every thread (module load, LMDB open) on a tiny read, then measure the full reads.
await Promise.all(Array.from({ length: threads }, () => pool.run({ folder, ids: ids.slice(0, 1), passes: 1 })));
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const timer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
const bytes = await Promise.all(Array.from({ length: threads }, () => pool.run({ folder, ids, passes: 2 })));
clearInterval(timer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
let mdbMappings = 0;
let mdbRss = 0;
if (existsSync('/proc/self/smaps')) {
  let inStore = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      inStore = line.endsWith('/cache.mdb');
      if (inStore) mdbMappings++;
    } else if (inStore && line.startsWith('Rss:')) mdbRss += Number(line.split(/\s+/)[1]) * 1024;
  }
}
await pool.destroy();
console.log(JSON.stringify({ threads, startRss, baseRss, peakRss, mdbMappings, mdbRss, bytesPerThread: bytes[0] }));

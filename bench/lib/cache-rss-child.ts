/**
 * Child process for bench/cache: starts THREADS worker threads that each read the whole cache at
 * FOLDER, sampling this process's RSS every 10 ms, and prints `{ threads, baseRss, peakRss }`.
 * Usage: node --import tsx bench/lib/cache-rss-child.ts FOLDER THREADS IDS_JSON
 */
import { Piscina } from 'piscina';
import { workerEntry } from '../../src/core/workers.js';

const [folder, threadsArg, idsJson] = process.argv.slice(2);
if (folder === undefined || threadsArg === undefined || idsJson === undefined) {
  console.error('usage: cache-rss-child.ts FOLDER THREADS IDS_JSON');
  process.exit(2);
}
const threads = Number(threadsArg);
const startRss = process.memoryUsage().rss;
const ids = JSON.parse(idsJson) as string[];
const { filename, execArgv } = workerEntry(import.meta.url, './cache-read-worker');
const pool = new Piscina({ filename, execArgv: [...execArgv], name: 'readAll', minThreads: threads, maxThreads: threads });
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
await pool.destroy();
console.log(JSON.stringify({ threads, startRss, baseRss, peakRss, bytesPerThread: bytes[0] }));

/**
 * Child process for the kill-during-fill test: fills a cache slowly on two worker threads and
 * prints each committed id, until the parent kills it with SIGKILL.
 * Usage: node --import tsx test/cache/fill-child.ts DIR COUNT
 */
import { openSampleCache } from '../../src/cache/index.js';
import { killTestPipeline } from './test-ops.js';

const [dir, count] = process.argv.slice(2);
if (dir !== undefined && count !== undefined) {
  const cache = openSampleCache({ dir, pipeline: killTestPipeline(), audit: false });
  const ids = Array.from({ length: Number(count) }, (_, i) => `id-${i}`);
  await cache.fill(ids, { threads: 2, idsPerTask: 1, onProgress: (p) => console.log(`committed ${p.initialId}`) });
  console.log('finished');
}

// Development bootstrap of a worker thread started by start-worker.ts (src/core) when fuseflow runs from its
// TypeScript sources (vitest, tsx). Node 20 does not apply `--import tsx` inside worker threads,
// so the worker registers tsx's ESM hooks itself and then imports the `.ts` entry module named
// in its workerData. Compiled builds start the `.js` entry module directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

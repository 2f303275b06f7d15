// Development bootstrap for the image IO worker when fuseflow runs from its TypeScript sources
// (tests, tsx). Node 20 ignores `--import` in a worker's execArgv, so the worker registers tsx
// itself and then loads io-worker.ts. Compiled builds load io-worker.js directly.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./io-worker.ts');

export const readTask = (task) => worker.readTask(task);
export const writeTask = (task) => worker.writeTask(task);
export const tagsTask = (task) => worker.tagsTask(task);

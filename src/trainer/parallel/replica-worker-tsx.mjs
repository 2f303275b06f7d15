// Development bootstrap for the replica worker when fuseflow runs from its TypeScript sources
// (tests, tsx). Node 20 ignores `--import` in a worker's execArgv, so the worker registers tsx
// itself and then loads replica-worker.ts. Compiled builds load replica-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./replica-worker.ts');

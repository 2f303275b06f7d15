/**
 * The run key of cached static ops, shared by the cache and its fills (a module of its own, below
 * both, so that fill-cache.ts need not import sample-cache.ts, which imports it).
 */
import type { RunKey } from '../ops/pipeline.js';

/** Static ops are deterministic; they run under this fixed key. */
export const STATIC_RUN: RunKey = { seed: 0, epoch: 0 };

/**
 * Every built-in op family in one list: importing this module registers every built-in op
 * (keys, cast, meta, random, tabular and debug through the ops barrel; every image op, the
 * reader included, through the image barrel). Worker threads import exactly this module before
 * rebuilding a pipeline from its spec, so a worker knows every op the main thread can register;
 * test/ops/registry-workers.test.ts proves it by finding every op file under `src/ops` and
 * round-tripping each registered op through a worker.
 *
 * A new op family (or an op file a barrel leaves out) is added here — nowhere else.
 */
import './index.js';
import './image/index.js';

/** The registry names' families this module brings in. */
export const BUILTIN_FAMILIES = ['keys', 'cast', 'meta', 'random', 'tabular', 'debug', 'image'] as const;

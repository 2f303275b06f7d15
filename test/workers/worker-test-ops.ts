/**
 * Ops for the worker timeout and output-check tests. They register from this module (`module:
 * import.meta.url`) so worker threads can import them by path.
 */
import { sampleIdOf, setKey } from '../../src/core/sample.js';
import { defineOp } from '../../src/ops/registry.js';

/** Spins for `ms` of wall-clock time on every sample (a healthy but slow op). */
export const busy = defineOp<{ readonly ms: number }>({
  name: 'workerTest.busy',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    const end = performance.now() + o.ms;
    while (performance.now() < end) {
      /* busy */
    }
    return s;
  },
});

/**
 * Never returns on the listed ids: a loop that never yields to the event loop. With `beat`, the
 * loop keeps counting in that shared Int32 (so a test can see the thread has really stopped).
 */
export const hang = defineOp<{ readonly on: readonly string[]; readonly beat?: SharedArrayBuffer }>({
  name: 'workerTest.hang',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    if (!o.on.includes(sampleIdOf(s))) return s;
    const beat = o.beat === undefined ? new Int32Array(1) : new Int32Array(o.beat);
    for (;;) Atomics.add(beat, 0, 1);
  },
});

/**
 * On the listed ids returns something that is not plain sample data: `'function'` a function
 * instead of a sample, `'fnInSample'` a sample holding a function, `'classInSample'` a sample
 * holding a class instance (a `Map`).
 */
export const badOutput = defineOp<{ readonly on: readonly string[]; readonly what: 'function' | 'fnInSample' | 'classInSample' }>({
  name: 'workerTest.badOutput',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s, _ctx, o) => {
    if (!o.on.includes(sampleIdOf(s))) return s;
    if (o.what === 'function') return (() => s) as unknown as typeof s;
    if (o.what === 'fnInSample') return setKey(s, 'data.extra.cb', () => 1);
    return setKey(s, 'data.extra.table', new Map([[1, 2]]));
  },
});

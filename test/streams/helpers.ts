/** Small ops and utilities shared by the stream tests. */
import { OptionsError } from '../../src/core/errors.js';
import { getKey, getOr, sampleIdOf, setKey, setKeys, type Sample } from '../../src/core/sample.js';
import { defineOp } from '../../src/ops/registry.js';

/** Adds `by` to the number at `key` (missing → 0). Static, synchronous. */
export const addTo = defineOp<{ readonly key: string; readonly by: number }>({
  name: 'test.streams.addTo',
  version: 1,
  kind: 'static',
  validate: (o) => {
    if (typeof o.by !== 'number') throw new OptionsError('by must be a number');
  },
  apply: (s, _ctx, o) => setKey(s, o.key, getOr<number>(s, o.key, 0) + o.by),
});

/** Writes a uniform draw from ctx.rng at `key`. Random, synchronous. */
export const randValue = defineOp<{ readonly key: string }>({
  name: 'test.streams.randValue',
  version: 1,
  kind: 'random',
  apply: (s, ctx, o) => setKey(s, o.key, ctx.rng.next()),
});

/** Splits a sample into `n` children with ids `<id>#k`. */
export const split = defineOp<{ readonly n: number }>({
  name: 'test.streams.split',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => Array.from({ length: o.n }, (_, k) => setKeys(s, { 'data.sampleId': `${sampleIdOf(s)}#${k}`, 'data.part': k })),
});

/** Drops samples whose id is listed. */
export const dropIds = defineOp<{ readonly ids: readonly string[] }>({
  name: 'test.streams.dropIds',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => (o.ids.includes(sampleIdOf(s)) ? null : s),
});

/** Throws on the listed ids. */
export const failOn = defineOp<{ readonly ids: readonly string[] }>({
  name: 'test.streams.failOn',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => {
    if (o.ids.includes(sampleIdOf(s))) throw new Error('boom');
    return s;
  },
});

/** Calls of {@link slowAdd} currently running, and the most seen at once. */
export const probe = { running: 0, peak: 0, calls: 0, applied: [] as string[] };

export function resetProbe(): void {
  probe.running = 0;
  probe.peak = 0;
  probe.calls = 0;
  probe.applied = [];
}

/** Async op: waits `ms` (or a random-by-id delay when `jitter`), then adds 1 at `key`. */
export const slowAdd = defineOp<{ readonly key: string; readonly ms: number; readonly jitter?: boolean }>({
  name: 'test.streams.slowAdd',
  version: 1,
  kind: 'static',
  apply: async (s, ctx, o) => {
    probe.calls++;
    probe.applied.push(ctx.sampleId);
    probe.running++;
    if (probe.running > probe.peak) probe.peak = probe.running;
    // Jitter from the sample's id (not from ctx.rng, so it does not disturb random ops).
    const delay = o.jitter === true ? (hashId(ctx.sampleId) % 5) * o.ms : o.ms;
    await sleep(delay);
    probe.running--;
    return setKey(s, o.key, getOr<number>(s, o.key, 0) + 1);
  },
});

/** Records each sample id it sees (synchronous). */
export const record = defineOp<{ readonly log: string }>({
  name: 'test.streams.record',
  version: 1,
  kind: 'static',
  apply: (s, ctx) => {
    probe.applied.push(`rec:${ctx.sampleId}`);
    return s;
  },
});

export function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function ids(n: number, prefix = 's'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

export function valueOf(s: Sample, key: string): number {
  return getKey<number>(s, key);
}

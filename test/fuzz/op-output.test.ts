/**
 * Fuzz: op outputs that are not plain sample data (issue 9, item 16). Random sample trees
 * (objects, arrays, numbers, strings, booleans, null, typed arrays) go through an op that writes
 * them into the sample, with one non-plain value (a function, a Map, a Date, a class instance, a
 * symbol) planted at a random place in some cases. Every case either gives back the tree exactly
 * (and it survives a structured clone, as on a worker thread) or fails with an OpError naming the
 * op, its id, the sample and exactly the path of the planted value — never a pass of bad data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpError } from '../../src/core/errors.js';
import { createSample, getKey, setKey, type Sample } from '../../src/core/sample.js';
import { defineOp } from '../../src/ops/registry.js';
import { pipeline, runPipeline } from '../../src/ops/pipeline.js';
import { fuzzParams } from './fuzz-kit.js';

/** Writes `options.make()` at `data.payload` (the factory keeps the planted value out of the op's options). */
const writeTree = defineOp<{ readonly make: () => unknown }>({
  name: 'fuzzTest.writeTree',
  version: 1,
  kind: 'static',
  apply: (s, _ctx, o) => setKey(s, 'data.payload', o.make()),
});

class Point {
  constructor(readonly x: number) {}
}
const PLANTS: readonly { readonly make: () => unknown; readonly what: string }[] = [
  { make: () => () => 1, what: 'a function' },
  { make: () => new Map([[1, 2]]), what: 'a Map' },
  { make: () => new Date(0), what: 'a Date' },
  { make: () => new Point(1), what: 'a Point' },
  { make: () => Symbol('s'), what: 'a symbol' },
];

const key = fc.stringMatching(/^[a-z]{1,4}$/);
const leaf = fc.oneof(
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 5 }).map((xs) => Float32Array.from(xs)),
);
const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
})).node;

/** Every container path of `t` (where a value can be planted), with `''` for `t` itself. */
function containers(t: unknown, path = ''): string[] {
  if (typeof t !== 'object' || t === null || ArrayBuffer.isView(t)) return [];
  const out = [path];
  for (const [k, v] of Object.entries(t)) out.push(...containers(v, path === '' ? k : `${path}.${k}`));
  return out;
}

/** A copy of `t` with `value` put under a new key `zz` of the container at `path` (or appended to an array). */
function plant(t: unknown, path: string, value: unknown): { tree: unknown; at: string } {
  const parts = path === '' ? [] : path.split('.');
  const go = (node: unknown, i: number): { node: unknown; at: string } => {
    if (i === parts.length) {
      if (Array.isArray(node)) return { node: [...(node as unknown[]), value], at: String(node.length) };
      return { node: { ...(node as Record<string, unknown>), zz: value }, at: 'zz' };
    }
    const k = parts[i] as string;
    const child = go((node as Record<string, unknown>)[k], i + 1);
    const copy: unknown = Array.isArray(node) ? [...(node as unknown[])] : { ...(node as Record<string, unknown>) };
    (copy as Record<string, unknown>)[k] = child.node;
    return { node: copy, at: `${k}.${child.at}` };
  };
  const r = go(t, 0);
  return { tree: r.node, at: r.at };
}

describe('fuzz: op outputs are plain data or an OpError naming op, sample and key', () => {
  it('random trees, some with a planted non-plain value', async () => {
    let passed = 0;
    let refused = 0;
    const container = fc.oneof(fc.array(tree, { maxLength: 4 }), fc.dictionary(key, tree, { maxKeys: 4 }));
    await fc.assert(
      fc.asyncProperty(container, fc.nat(), fc.nat({ max: PLANTS.length * 2 - 1 }), async (t, where, which) => {
        const planted = PLANTS[which];
        const paths = containers(t);
        const spot = planted === undefined ? undefined : plant(t, paths[where % paths.length] as string, planted.make());
        const payload = spot?.tree ?? t;
        const p = pipeline([writeTree({ make: () => payload })], { name: 'fz' });
        const start = createSample(`case-${where}`);
        if (planted === undefined || spot === undefined) {
          const [out] = await runPipeline(p, start, { seed: 1, epoch: 0 });
          expect(getKey(out as Sample, 'data.payload')).toBe(payload);
          expect(structuredClone(out)).toEqual(out);
          passed++;
          return;
        }
        let caught: unknown;
        try {
          await runPipeline(p, start, { seed: 1, epoch: 0 });
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(OpError);
        expect(caught).toMatchObject({ op: 'fuzzTest.writeTree', opId: 'fz.0.fuzzTest.writeTree', sampleId: `case-${where}` });
        expect((caught as Error).message).toContain(`holds ${planted.what} at 'data.payload.${spot.at}'`);
        refused++;
      }),
      fuzzParams(300),
    );
    console.log(`fuzz op-output: ${passed + refused} cases (${passed} plain trees passed exactly, ${refused} planted values refused with an OpError naming op, sample and key)`);
    expect(passed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

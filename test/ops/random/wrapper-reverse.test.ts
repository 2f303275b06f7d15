/**
 * Wrappers reverse what they applied (issue 9, item 18): a reversible op inside randApply, oneOf,
 * sample, repeat, cond (and applyByType) is undone by `reversePipeline` exactly as it ran — not
 * skipped. Each reversible op is checked inside each wrapper against the untouched input: the
 * reversed prediction has the input's geometry and, voxel for voxel, the input's labels (0 where
 * a crop cut them away). A wrapper that did not apply its op reverses nothing; a sample without
 * the wrapper's record fails with an error naming the op.
 */
import { describe, expect, it } from 'vitest';
import { OpError } from '../../../src/core/errors.js';
import type { Image } from '../../../src/core/image.js';
import { getKey, setKey, type Sample } from '../../../src/core/sample.js';
import type { Op } from '../../../src/ops/op.js';
import { pipeline, reversePipeline, runPipeline } from '../../../src/ops/pipeline.js';
import { set } from '../../../src/ops/keys/set.js';
import { lambda } from '../../../src/ops/meta/lambda.js';
import { cond } from '../../../src/ops/meta/cond.js';
import { repeat } from '../../../src/ops/meta/repeat.js';
import { applyByType } from '../../../src/ops/meta/apply-by-type.js';
import { oneOf } from '../../../src/ops/random/one-of.js';
import { randApply } from '../../../src/ops/random/rand-apply.js';
import { sample } from '../../../src/ops/random/sample.js';
import { choice, randInt } from '../../../src/ops/random/samplers.js';
import { cropToMask, cropOrPad, extractPatches, randAffine, randCrop, randElastic, randFlip, randRotate90, reorient, resample } from '../../../src/ops/image/index.js';
import { imageFrom, sampleWith } from '../image/image-helpers.js';

const KEYS = ['img', 'seg'];
/** Labels 1..3 inside a box, 0 outside (so crops to the mask cut something). */
const input = (id = 'case0'): Sample =>
  setKey(
    sampleWith(id, {
      img: imageFrom('float32', [8, 6, 4], (x, y, z) => x * 10 + y + z / 10, { spacing: [1, 1.5, 2], origin: [3, -2, 1] }),
      seg: imageFrom('uint8', [8, 6, 4], (x, y, z) => (x > 0 && x < 7 && y > 0 && y < 5 ? 1 + ((x + 2 * y + 3 * z) % 3) : 0), { spacing: [1, 1.5, 2], origin: [3, -2, 1] }),
    }),
    'data.v',
    5,
  );

type Exactness = 'exact' | 'cropped' | 'grid';
/** Each reversible op, and how its reverse relates to the input: every voxel back ('exact'), every voxel back or 0 ('cropped'), or the input grid only ('grid': interpolated). */
const REVERSIBLE: readonly { readonly name: string; readonly op: () => Op<object>; readonly back: Exactness }[] = [
  { name: 'image.resample', op: () => resample({ keys: KEYS, spacing: [0.5, 0.75, 1], interpolation: 'nearest' }), back: 'exact' },
  { name: 'image.reorient', op: () => reorient({ keys: KEYS, orientation: 'RAS' }), back: 'exact' },
  { name: 'image.cropOrPad', op: () => cropOrPad({ keys: KEYS, size: [5, 8, 3] }), back: 'cropped' },
  { name: 'image.cropToMask', op: () => cropToMask({ keys: KEYS, maskKey: 'seg' }), back: 'cropped' },
  { name: 'image.extractPatches (one patch)', op: () => extractPatches({ keys: KEYS, patchSize: [10, 6, 4] }), back: 'exact' },
  { name: 'image.randFlip', op: () => randFlip({ keys: KEYS, prob: 1, axes: [0] }), back: 'exact' },
  { name: 'image.randRotate90', op: () => randRotate90({ keys: KEYS, prob: 1, axes: [0, 1] }), back: 'exact' },
  { name: 'image.randAffine', op: () => randAffine({ keys: KEYS, prob: 1, rotateRange: [0.6, 0.6, 0.6], interpolation: 'nearest' }), back: 'grid' },
  { name: 'image.randCrop', op: () => randCrop({ keys: KEYS, size: [5, 4, 3] }), back: 'cropped' },
];

/** Wrappers that always apply their op (the branch test below covers not applying). */
const WRAPPERS: readonly { readonly name: string; readonly wrap: (op: Op<object>) => Op<object> }[] = [
  { name: 'randApply', wrap: (op) => randApply({ op, p: 1 }) },
  { name: 'oneOf', wrap: (op) => oneOf({ ops: [set({ key: 'data.other', value: 1 }), op], weights: [0, 1] }) },
  { name: 'sample', wrap: (op) => sample({ op }) },
  { name: 'repeat', wrap: (op) => repeat({ op, steps: [{}] }) },
  { name: 'cond', wrap: (op) => cond({ op, condition: 'data.go' }) },
  { name: 'randApply(oneOf(…))', wrap: (op) => randApply({ op: oneOf({ ops: [op] }), p: 1 }) },
];

const run = { seed: 4, epoch: 1 };

/** Runs `p` on the input, predicts "the processed seg", reverses; returns the processed and reversed seg. */
async function roundTrip(ops: readonly Op<object>[], start: Sample = setKey(input(), 'data.go', true)) {
  const p = pipeline(ops, { name: 'prep' });
  const outs = await runPipeline(p, start, run);
  expect(outs).toHaveLength(1);
  const out = outs[0] as Sample;
  const processed = getKey<Image>(out, 'seg');
  const back = getKey<Image>(reversePipeline(p, setKey(out, 'pred', processed), { keyToReverse: 'pred', keyToFollow: 'seg' }), 'pred');
  return { processed, back, p, out };
}

function expectSameGrid(back: Image, want: Image): void {
  expect(back.shape).toEqual(want.shape);
  back.spacing.forEach((s, i) => expect(s).toBeCloseTo(want.spacing[i] as number, 9));
  back.origin.forEach((o, i) => expect(o).toBeCloseTo(want.origin[i] as number, 9));
  back.direction.forEach((d, i) => expect(d).toBeCloseTo(want.direction[i] as number, 9));
}

/** Share of the input's labelled voxels that hold the same label in `img`. */
function agreement(img: Image, want: Image): number {
  let same = 0;
  let labelled = 0;
  want.data.forEach((v, i) => {
    if (v === 0) return;
    labelled++;
    if (img.data[i] === v) same++;
  });
  return same / labelled;
}

function expectBack(back: Image, want: Image, how: Exactness, processed?: Image): void {
  expectSameGrid(back, want);
  if (how === 'grid') {
    // interpolated twice (nearest): most labels come back, far more than stay put without the reverse
    if (processed !== undefined) expect(agreement(back, want)).toBeGreaterThan(agreement(processed, want) + 0.05);
    expect(agreement(back, want)).toBeGreaterThan(0.6);
    return;
  }
  const got = Array.from(back.data as ArrayLike<number>);
  const orig = Array.from(want.data as ArrayLike<number>);
  if (how === 'exact') expect(got).toEqual(orig);
  else {
    expect(got.filter((v, i) => v !== orig[i] && v !== 0)).toEqual([]);
    expect(got.filter((v) => v !== 0).length).toBeGreaterThan(10);
  }
}

const differs = (a: Image, b: Image): boolean =>
  JSON.stringify([a.shape, a.spacing, a.origin, a.direction]) !== JSON.stringify([b.shape, b.spacing, b.origin, b.direction]) ||
  Array.from(a.data as ArrayLike<number>).some((v, i) => v !== b.data[i]);

describe('reversePipeline through wrappers', () => {
  for (const { name, op, back: how } of REVERSIBLE) {
    it(`${name}: bare and inside each wrapper, the prediction comes back onto the input`, async () => {
      const seg = getKey<Image>(input(), 'seg');
      const bare = await roundTrip([op()]);
      expect(differs(bare.processed, seg)).toBe(true); // the op changed something to undo
      expectBack(bare.back, seg, how, bare.processed);
      for (const w of WRAPPERS) {
        const wrapped = await roundTrip([w.wrap(op())]);
        expect(differs(wrapped.processed, seg), `${w.name}: the op ran`).toBe(true);
        try {
          expectBack(wrapped.back, seg, how, wrapped.processed);
        } catch (err) {
          throw new Error(`${name} inside ${w.name}: ${(err as Error).message}`, { cause: err });
        }
      }
    });
  }

  it('lambda with fnReverse inside each wrapper is undone on the followed key', async () => {
    const inc = () => lambda({ key: 'data.v', fn: (x) => (x as number) + 3, fnReverse: (x) => (x as number) - 3 });
    for (const w of WRAPPERS) {
      const p = pipeline([w.wrap(inc())], { name: 'prep' });
      const [out] = await runPipeline(p, setKey(input(), 'data.go', true), run);
      expect(getKey(out as Sample, 'data.v'), w.name).toBe(8);
      const back = reversePipeline(p, setKey(out as Sample, 'data.pv', 108), { keyToReverse: 'data.pv', keyToFollow: 'data.v' });
      expect(getKey(back, 'data.pv'), w.name).toBe(105);
    }
    // FuseMedML's OpLambda example: x+3 repeated 3 times on 5 gives 14; reverse gives 5.
    const p = pipeline([repeat({ op: inc(), steps: [{}, {}, {}] })]);
    const [out] = await runPipeline(p, input(), run);
    expect(getKey(out as Sample, 'data.v')).toBe(14);
    expect(getKey(reversePipeline(p, out as Sample, { keyToReverse: 'data.v', keyToFollow: 'data.v' }), 'data.v')).toBe(5);
  });

  it('randApply reverses only when it fired; cond only when the condition held', async () => {
    const seg = getKey<Image>(input(), 'seg');
    const fired = new Set<boolean>();
    for (let id = 0; id < 12; id++) {
      const start = setKey(input(`c${id}`), 'data.go', true);
      const { processed, back } = await roundTrip([randApply({ op: randFlip({ keys: KEYS, prob: 1, axes: [1] }), p: 0.5 })], start);
      fired.add(differs(processed, seg));
      expectBack(back, seg, 'exact');
    }
    expect([...fired].sort()).toEqual([false, true]);
    const notHeld = await roundTrip([cond({ op: randFlip({ keys: KEYS, prob: 1, axes: [0] }), condition: 'data.go' })], setKey(input(), 'data.go', false));
    expect(differs(notHeld.processed, seg)).toBe(false);
    expectBack(notHeld.back, seg, 'exact');
  });

  it('oneOf reverses the branch it chose (flips along different axes)', async () => {
    const seg = getKey<Image>(input(), 'seg');
    const branches = [0, 1, 2].map((axis) => randFlip({ keys: KEYS, prob: 1, axes: [axis] }));
    const chosen = new Set<number>();
    for (let id = 0; id < 15; id++) {
      const { back, out } = await roundTrip([oneOf({ ops: [...branches, set({ key: 'data.none', value: 1 })] })], input(`c${id}`));
      chosen.add(getKey<number>(out, 'prep.0.random.oneOf.chosen'));
      expectBack(back, seg, 'exact');
    }
    expect([...chosen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('sample reverses the op built from its own draws; repeat reverses its steps last first', async () => {
    const seg = getKey<Image>(input(), 'seg');
    const sizes = new Set<string>();
    for (let id = 0; id < 8; id++) {
      const op = sample({ op: { name: 'image.cropOrPad', version: 1, options: { keys: KEYS, size: [randInt(3, 10), choice([4, 9]), 3] } } });
      const { processed, back } = await roundTrip([op], input(`c${id}`));
      sizes.add(processed.shape.join('x'));
      expectBack(back, seg, 'cropped');
    }
    expect(sizes.size).toBeGreaterThan(2);
    // Rotations in two planes do not commute: undoing them in the wrong order would not give the input back.
    const twoSteps = repeat({ op: randRotate90({ keys: KEYS, prob: 1, axes: [0, 1] }), steps: [{ axes: [0, 1] }, { axes: [1, 2] }, { axes: [0, 2] }] });
    const { back } = await roundTrip([twoSteps]);
    expectBack(back, seg, 'exact');
  });

  it('applyByType reverses each key it was applied to', async () => {
    const inc = lambda({ key: 'x', fn: (x) => (x as number) * 2, fnReverse: (x) => (x as number) / 2 });
    const p = pipeline([applyByType({ rules: [{ type: 'num', op: inc }], patterns: [['^data\\.n[0-9]$', 'num']] })], { name: 'prep' });
    const start = setKey(setKey(input(), 'data.n1', 3), 'data.n2', 5);
    const [out] = await runPipeline(p, start, run);
    expect([getKey(out as Sample, 'data.n1'), getKey(out as Sample, 'data.n2')]).toEqual([6, 10]);
    const back = reversePipeline(p, setKey(out as Sample, 'pred', 40), { keyToReverse: 'pred', keyToFollow: 'data.n2' });
    expect(getKey(back, 'pred')).toBe(20);
  });

  it('a wrapper whose record is missing says so, naming the op, instead of skipping', () => {
    for (const w of WRAPPERS.filter((x) => x.name !== 'repeat')) {
      const p = pipeline([w.wrap(randFlip({ keys: KEYS, prob: 1, axes: [0] }))], { name: 'prep' });
      const err = (() => {
        try {
          reversePipeline(p, setKey(input(), 'pred', 1), { keyToReverse: 'pred', keyToFollow: 'seg' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, w.name).toBeInstanceOf(OpError);
      expect((err as Error).message, w.name).toMatch(/cannot reverse op|no reverse information/);
    }
  });

  it('randElastic cannot be undone: reversing along a key it deformed is an error naming it, bare or wrapped; other keys pass', async () => {
    const elastic = () => randElastic({ keys: KEYS, prob: 1, controlSpacing: 3, interpolation: 'nearest' });
    for (const ops of [[elastic()], [randApply({ op: elastic(), p: 1 })], [randFlip({ keys: KEYS, prob: 1, axes: [0] }), elastic()]]) {
      const p = pipeline(ops, { name: 'prep' });
      const [out] = await runPipeline(p, input(), run);
      const withPred = setKey(out as Sample, 'pred', getKey(out as Sample, 'seg'));
      expect(() => reversePipeline(p, withPred, { keyToReverse: 'pred', keyToFollow: 'seg' })).toThrow(/image\.randElastic.*deformed 'seg'.*cannot be undone/);
      expect(reversePipeline(p, setKey(withPred, 'pv', 1), { keyToReverse: 'pv', keyToFollow: 'data.v' })).toBeDefined();
    }
  });

  it('a wrapped op that cannot reverse (it moves nothing) is skipped, as it is unwrapped; outputs carry no record then', async () => {
    const p = pipeline([randApply({ op: set({ key: 'data.w', value: 1 }), p: 1 }), cond({ op: set({ key: 'data.q', value: 2 }), condition: true })], { name: 'prep' });
    const [out] = await runPipeline(p, input(), run);
    expect(Object.keys(out as Sample).sort()).toEqual(['data', 'img', 'seg']);
    const back = reversePipeline(p, setKey(out as Sample, 'pred', 7), { keyToReverse: 'pred', keyToFollow: 'seg' });
    expect(getKey(back, 'pred')).toBe(7);
  });
});

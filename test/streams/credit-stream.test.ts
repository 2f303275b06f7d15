import { describe, expect, it } from 'vitest';
import { createSample, sampleIdOf, type Sample } from '../../src/core/sample.js';
import { OpError } from '../../src/core/errors.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { creditStream } from '../../src/streams/credit-stream.js';
import { toGroupedOperator } from '../../src/streams/to-operator.js';
import { addTo, dropIds, failOn, ids, probe, resetProbe, sleep, slowAdd, split } from './helpers.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('creditStream', () => {
  it('empty source gives an empty stream', async () => {
    const s = creditStream([] as Sample[], toGroupedOperator(pipeline([addTo({ key: 'x', by: 1 })])), { window: 4 });
    expect(await collect(s)).toEqual([]);
    expect(s.stats.taken).toBe(0);
  });

  it('one and many samples, in order', async () => {
    const p = pipeline([addTo({ key: 'data.x', by: 1 })]);
    expect((await collect(creditStream([createSample('a')], toGroupedOperator(p)))).map(sampleIdOf)).toEqual(['a']);
    const many = await collect(
      creditStream(
        ids(200).map((id) => createSample(id)),
        toGroupedOperator(p),
        { window: 7 },
      ),
    );
    expect(many.map(sampleIdOf)).toEqual(ids(200));
  });

  it('never has more than `window` in flight with a slow consumer and concurrency > 1', async () => {
    resetProbe();
    const window = 5;
    let built = 0;
    // Counted independently of the engine: a sample is in flight from when the source builds it
    // until the consumer has it.
    function* source(): Generator<Sample> {
      for (const id of ids(60)) {
        built++;
        yield createSample(id);
      }
    }
    const p = pipeline([slowAdd({ key: 'data.y', ms: 1, jitter: true })]);
    const stream = creditStream(source(), toGroupedOperator(p, { concurrency: 4 }), { window });
    let received = 0;
    let peak = 0;
    const order: string[] = [];
    for await (const s of stream) {
      received++;
      order.push(sampleIdOf(s));
      peak = Math.max(peak, built - received + 1);
      await sleep(3); // 3 ms per sample against ~1 ms of work spread over 4 slots
      peak = Math.max(peak, built - received);
    }
    expect(order).toEqual(ids(60));
    expect(peak).toBeLessThanOrEqual(window);
    expect(peak).toBe(window); // the window is used, not only respected
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(window);
    expect(probe.peak).toBeLessThanOrEqual(4);
  });

  it('counts one→many outputs against their input (window in inputs) and frees dropped inputs at once', async () => {
    const p = pipeline([split({ n: 3 })]);
    let built = 0;
    function* source(): Generator<Sample> {
      for (const id of ids(10)) {
        built++;
        yield createSample(id);
      }
    }
    const stream = creditStream(source(), toGroupedOperator(p), { window: 2 });
    const out: string[] = [];
    let maxBuiltAhead = 0;
    for await (const s of stream) {
      out.push(sampleIdOf(s));
      // Inputs released so far: all whose last output came before this one.
      const released = Math.floor((out.length - 1) / 3);
      maxBuiltAhead = Math.max(maxBuiltAhead, built - released);
      await sleep(1);
    }
    expect(out.length).toBe(30);
    expect(out.slice(0, 6)).toEqual(['s0#0', 's0#1', 's0#2', 's1#0', 's1#1', 's1#2']);
    expect(maxBuiltAhead).toBeLessThanOrEqual(2);
    expect(maxBuiltAhead).toBe(2);
    expect(stream.stats.peakInFlight).toBe(2);
    expect(stream.stats.completed).toBe(10);
    expect(stream.stats.delivered).toBe(30);
  });

  it('frees dropped inputs at once and counts their position in order', async () => {
    const p = pipeline([dropIds({ ids: ids(20).filter((_, i) => i % 4 !== 0) })]);
    const stream = creditStream(
      ids(20).map((id) => createSample(id)),
      toGroupedOperator(p),
      { window: 2 },
    );
    const out: string[] = [];
    const positions: number[] = [];
    for await (const s of stream) {
      out.push(sampleIdOf(s));
      positions.push(stream.stats.completed);
      await sleep(1);
    }
    expect(out).toEqual(['s0', 's4', 's8', 's12', 's16']);
    // A valid resume position: past the sample just received, not past the next one kept.
    positions.forEach((pos, k) => {
      expect(pos).toBeGreaterThanOrEqual(4 * k + 1);
      expect(pos).toBeLessThanOrEqual(4 * k + 4);
    });
    expect(stream.stats.completed).toBe(20);
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(2);
  });

  it('break stops the source and no op starts afterwards', async () => {
    resetProbe();
    let built = 0;
    let closed = false;
    function* source(): Generator<Sample> {
      try {
        for (const id of ids(1000)) {
          built++;
          yield createSample(id);
        }
      } finally {
        closed = true;
      }
    }
    const p = pipeline([slowAdd({ key: 'data.y', ms: 2 }), slowAdd({ key: 'data.z', ms: 2 })]);
    const stream = creditStream(source(), toGroupedOperator(p, { concurrency: 3 }), { window: 6 });
    let n = 0;
    for await (const _ of stream) {
      if (++n === 4) break;
    }
    const calls = probe.calls;
    const builtAtBreak = built;
    await sleep(40);
    expect(closed).toBe(true);
    expect(built).toBe(builtAtBreak);
    expect(builtAtBreak).toBeLessThanOrEqual(4 + 6);
    expect(probe.calls).toBe(calls);
  });

  it('reports a source error after the samples before it', async () => {
    function* source(): Generator<Sample> {
      yield createSample('a');
      yield createSample('b');
      throw new Error('bad row');
    }
    const got: string[] = [];
    const stream = creditStream(source(), toGroupedOperator(pipeline([])), { window: 8 });
    const err = await (async () => {
      for await (const s of stream) got.push(sampleIdOf(s));
    })().catch((e: unknown) => e);
    expect(got).toEqual(['a', 'b']);
    expect((err as Error).message).toBe('bad row');
  });

  it('reports an op failure with its context and stops taking input', async () => {
    let built = 0;
    function* source(): Generator<Sample> {
      for (const id of ids(100)) {
        built++;
        yield createSample(id);
      }
    }
    const stream = creditStream(source(), toGroupedOperator(pipeline([failOn({ ids: ['s3'] })], { name: 'dyn' })), { window: 4 });
    const got: string[] = [];
    const err = await (async () => {
      for await (const s of stream) got.push(sampleIdOf(s));
    })().catch((e: unknown) => e);
    expect(got).toEqual(['s0', 's1', 's2']);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).opId).toBe('dyn.0.test.streams.failOn');
    expect(built).toBeLessThanOrEqual(4 + 3);
  });

  it('pulls an async source only on demand', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Sample> {
      for (const id of ids(30)) {
        pulled++;
        await sleep(0);
        yield createSample(id);
      }
    }
    const stream = creditStream(source(), toGroupedOperator(pipeline([addTo({ key: 'x', by: 1 })])), { window: 3 });
    const out: string[] = [];
    let peak = 0;
    for await (const s of stream) {
      out.push(sampleIdOf(s));
      await sleep(2);
      peak = Math.max(peak, pulled - out.length);
    }
    expect(out).toEqual(ids(30));
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('can be iterated only once', async () => {
    const stream = creditStream([createSample('a')], toGroupedOperator(pipeline([])));
    await collect(stream);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});

describe('creditStream, direct iterator use', () => {
  it('answers next() calls made before the previous one settled, in order', async () => {
    const stream = creditStream(
      ids(5).map((id) => createSample(id)),
      toGroupedOperator(pipeline([slowAdd({ key: 'y', ms: 1 })])),
      { window: 2 },
    );
    const it = stream[Symbol.asyncIterator]();
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next(), it.next()]);
    expect(results.slice(0, 5).map((r) => (r.done === true ? 'done' : sampleIdOf(r.value)))).toEqual(ids(5));
    expect(results[5]?.done).toBe(true);
    expect(stream.stats.peakInFlight).toBeLessThanOrEqual(2);
  });

  it('return() while a next() waits ends both', async () => {
    const stream = creditStream(
      ids(5).map((id) => createSample(id)),
      toGroupedOperator(pipeline([slowAdd({ key: 'y', ms: 20 })])),
      { window: 2 },
    );
    const it = stream[Symbol.asyncIterator]();
    const pending = it.next();
    await it.return?.();
    expect((await pending).done).toBe(true);
  });
});

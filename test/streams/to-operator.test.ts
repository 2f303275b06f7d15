import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, Observable, Subject, take, toArray } from 'rxjs';
import { OpError } from '../../src/core/errors.js';
import { createSample, getKey, sampleIdOf, type Sample } from '../../src/core/sample.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { toGroupedOperator, toOperator } from '../../src/streams/to-operator.js';
import { addTo, dropIds, failOn, ids, probe, randValue, resetProbe, sleep, slowAdd, split } from './helpers.js';

const samples = (n: number): Sample[] => ids(n).map((id) => createSample(id));
const run = (p: ReturnType<typeof pipeline>, input: Sample[], options = {}): Promise<Sample[]> => lastValueFrom(from(input).pipe(toOperator(p, options), toArray()));

describe('toOperator', () => {
  const p = pipeline([addTo({ key: 'data.x', by: 2 }), addTo({ key: 'data.x', by: 3 })]);

  it('completes empty on empty input', async () => {
    expect(await run(p, [])).toEqual([]);
  });

  it('maps one and many samples in order', async () => {
    const one = await run(p, samples(1));
    expect(one.map((s) => getKey(s, 'data.x'))).toEqual([5]);
    const many = await run(p, samples(50));
    expect(many.map(sampleIdOf)).toEqual(ids(50));
    expect(many.every((s) => getKey(s, 'data.x') === 5)).toBe(true);
  });

  it('does not mutate its input', async () => {
    const input = samples(3);
    const copy = structuredClone(input);
    await run(p, input);
    expect(input).toEqual(copy);
  });

  it('flattens one→many and drops nulls', async () => {
    const q = pipeline([split({ n: 3 }), dropIds({ ids: ['s1#1', 's0#0'] })]);
    const out = await run(q, samples(2));
    expect(out.map(sampleIdOf)).toEqual(['s0#1', 's0#2', 's1#0', 's1#2']);
    const grouped = await lastValueFrom(from(samples(2)).pipe(toGroupedOperator(q), toArray()));
    expect(grouped.map((g) => g.length)).toEqual([2, 2]);
  });

  it('fails with an OpError naming op, op id and sample id', async () => {
    const q = pipeline([addTo({ key: 'data.x', by: 1 }), failOn({ ids: ['s3'] })], { name: 'aug' });
    const err = await run(q, samples(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    const e = err as OpError;
    expect(e.op).toBe('test.streams.failOn');
    expect(e.opId).toBe('aug.1.test.streams.failOn');
    expect(e.sampleId).toBe('s3');
    expect(e.message).toContain("'s3'");
  });

  it('fails an async op with the same context', async () => {
    const q = pipeline([slowAdd({ key: 'data.x', ms: 1 }), failOn({ ids: ['s1'] })]);
    const err = await run(q, samples(3), { concurrency: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).sampleId).toBe('s1');
  });

  it('passes an upstream error through', async () => {
    const upstream = new Observable<Sample>((sub) => {
      sub.next(createSample('a'));
      sub.error(new Error('disk gone'));
    });
    const seen: string[] = [];
    const err = await new Promise((resolve) => upstream.pipe(toOperator(p)).subscribe({ next: (s) => seen.push(sampleIdOf(s)), error: resolve }));
    expect(seen).toEqual(['a']);
    expect((err as Error).message).toBe('disk gone');
  });

  it('same seed gives the same output, another seed another', async () => {
    const q = pipeline([randValue({ key: 'data.r' })]);
    const a = await run(q, samples(20), { seed: 5, epoch: 1 });
    const b = await run(q, samples(20), { seed: 5, epoch: 1 });
    const c = await run(q, samples(20), { seed: 6, epoch: 1 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('random draws do not depend on order or concurrency', async () => {
    const q = pipeline([slowAdd({ key: 'data.y', ms: 2, jitter: true }), randValue({ key: 'data.r' })]);
    const forward = await run(q, samples(24), { seed: 9, concurrency: 1 });
    const backward = await run(q, samples(24).reverse(), { seed: 9, concurrency: 6 });
    const byId = (xs: Sample[]): Record<string, unknown> => Object.fromEntries(xs.map((s) => [sampleIdOf(s), getKey(s, 'data.r')]));
    expect(byId(backward)).toEqual(byId(forward));
  });

  it('keeps input order and at most `concurrency` samples in async ops', async () => {
    resetProbe();
    const q = pipeline([slowAdd({ key: 'data.y', ms: 2, jitter: true })]);
    const out = await run(q, samples(30), { concurrency: 3 });
    expect(out.map(sampleIdOf)).toEqual(ids(30));
    expect(probe.peak).toBeLessThanOrEqual(3);
    expect(probe.peak).toBeGreaterThan(1);
  });

  it('starts no op after unsubscribe', async () => {
    resetProbe();
    const q = pipeline([slowAdd({ key: 'data.y', ms: 5 }), slowAdd({ key: 'data.z', ms: 5 })]);
    const input = new Subject<Sample>();
    const got: Sample[] = [];
    const sub = input.pipe(toOperator(q, { concurrency: 2 })).subscribe((s) => got.push(s));
    for (const s of samples(6)) input.next(s);
    await sleep(1);
    sub.unsubscribe();
    const callsAtUnsubscribe = probe.calls;
    await sleep(60);
    expect(probe.calls).toBe(callsAtUnsubscribe);
    expect(callsAtUnsubscribe).toBe(2);
    expect(got).toEqual([]);
  });

  it('take(n) downstream stops the work', async () => {
    resetProbe();
    const q = pipeline([slowAdd({ key: 'data.y', ms: 1 })]);
    const out = await lastValueFrom(from(samples(10)).pipe(toOperator(q, { concurrency: 1 }), take(2), toArray()));
    expect(out.map(sampleIdOf)).toEqual(['s0', 's1']);
    await sleep(20);
    expect(probe.calls).toBeLessThanOrEqual(3);
  });

  it('validates concurrency when built', () => {
    expect(() => toOperator(p, { concurrency: 0 })).toThrow(/concurrency/);
  });
});

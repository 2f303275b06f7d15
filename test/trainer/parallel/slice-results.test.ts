import { describe, expect, it } from 'vitest';
import { FuseflowError } from '../../../src/core/errors.js';
import type { ReplicaReply } from '../../../src/trainer/parallel/replica-protocol.js';
import { doneOf, lossOf } from '../../../src/trainer/parallel/slice-results.js';

const done = (total: number): ReplicaReply => ({ kind: 'done', total, terms: [total], ms: 1, phases: { load: 0, compute: 1, wait: 0, update: 0, cpu: 1 }, applied: true });

describe('slice results (the batch loss from the slices, the replies checked)', () => {
  it('lossOf: the row-weighted sum of the slices, in participant order (hand-computed)', () => {
    // 7 rows over 3 participants (2, 2, 3 rows): (2·0.5 + 2·1.5 + 3·2) / 7 = 10 / 7
    const r = lossOf(
      [2 / 7, 2 / 7, 3 / 7],
      [
        { total: 0.5, terms: [0.5, 1] },
        { total: 1.5, terms: [1.5, 1] },
        { total: 2, terms: [2, 1] },
      ],
      2,
    );
    expect(r.total).toBeCloseTo(10 / 7, 14);
    expect(r.terms[0]).toBeCloseTo(10 / 7, 14);
    expect(r.terms[1]).toBeCloseTo(1, 14);
    // the same additions in the same order as a plain loop
    expect(r.total).toBe(0 + (2 / 7) * 0.5 + (2 / 7) * 1.5 + (3 / 7) * 2);
  });

  it('lossOf: an idle participant (no rows, no terms) adds nothing; a missing result is an error naming the participant', () => {
    expect(
      lossOf(
        [1, 0],
        [
          { total: 3, terms: [3] },
          { total: 0, terms: [] },
        ],
        1,
      ),
    ).toEqual({ total: 3, terms: [3] });
    expect(() => lossOf([0.5, 0.5], [{ total: 1, terms: [1] }], 1)).toThrow(/no loss values from participant 1/);
  });

  it('doneOf: passes done replies; throws the first failure with its message, or names an unexpected kind', () => {
    expect(doneOf([done(1), done(2)]).map((r) => r.total)).toEqual([1, 2]);
    expect(() => doneOf([done(1), { kind: 'error', message: 'replica 2 exited (code 1)' }])).toThrow(new FuseflowError('replica 2 exited (code 1)'));
    expect(() => doneOf([{ kind: 'ready' }])).toThrow(/a replica answered 'ready'/);
  });
});

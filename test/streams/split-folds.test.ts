import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { splitFolds } from '../../src/streams/split-folds.js';

describe('splitFolds', () => {
  it('every id in exactly one fold and no patient in two folds', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ patient: fc.nat(15), label: fc.nat(2) }), { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (rows, folds, seed) => {
        const ids = rows.map((_, i) => `s${i}`);
        const groups = rows.map((r) => `p${r.patient}`);
        const labels = rows.map((r) => r.label);
        const out = splitFolds({ ids, labels, groups, folds, seed });
        expect(out).toHaveLength(folds);
        expect(out.flat().sort()).toEqual([...ids].sort());
        const foldOfPatient = new Map<string, number>();
        out.forEach((fold, f) =>
          fold.forEach((id) => {
            const p = groups[Number(id.slice(1))] as string;
            expect(foldOfPatient.get(p) ?? f).toBe(f);
            foldOfPatient.set(p, f);
          }),
        );
        expect(splitFolds({ ids, labels, groups, folds, seed })).toEqual(out);
      }),
    );
  });

  it('balances labels across folds when samples are independent', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(3), { minLength: 1, maxLength: 200 }), fc.integer({ min: 2, max: 5 }), fc.integer(), (labels, folds, seed) => {
        const ids = labels.map((_, i) => `s${i}`);
        const out = splitFolds({ ids, labels, folds, seed });
        for (const label of new Set(labels)) {
          const perFold = out.map((fold) => fold.filter((id) => labels[Number(id.slice(1))] === label).length);
          expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
        }
        const sizes = out.map((f) => f.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(labels.length < folds ? 1 : new Set(labels).size);
      }),
    );
  });

  it('changes with the seed and rejects bad options', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `s${i}`);
    expect(splitFolds({ ids, folds: 5, seed: 1 })).not.toEqual(splitFolds({ ids, folds: 5, seed: 2 }));
    expect(() => splitFolds({ ids, folds: 0 })).toThrow(OptionsError);
    expect(() => splitFolds({ ids: ['a', 'a'], folds: 2 })).toThrow(/twice/);
    expect(() => splitFolds({ ids, labels: [1], folds: 2 })).toThrow(OptionsError);
  });
});

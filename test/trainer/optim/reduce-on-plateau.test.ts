import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { reduceOnPlateau } from '../../../src/trainer/optim/reduce-on-plateau.js';

const minLoss = { key: 'validation.losses.total', mode: 'min' } as const;

describe('reduceOnPlateau (PyTorch semantics)', () => {
  it('min mode, relative threshold, patience, cooldown and minLr: reductions at the hand-derived epochs', () => {
    // Base rate 0.1, factor 0.5, patience 2, threshold 10 % relative, cooldown 1, minLr 0.02.
    // e0 best 1.0 · e1 0.95 (not < 0.9) bad 1 · e2 bad 2 · e3 bad 3 > 2 → 0.05, cooldown 1 ·
    // e4 0.5 best, cooldown ends · e5–e7 bad 1..3 → 0.025 at e7 · e8 cooldown · e9–e11 → max(0.0125, 0.02) = 0.02 at e11 ·
    // e12 cooldown · e15 would go to 0.02 again: no change (not more than eps), not reported.
    const p = reduceOnPlateau({ factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1, minLr: 0.02 }, minLoss);
    const values = [1.0, 0.95, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6];
    const reduced: number[] = [];
    const rates: number[] = [];
    values.forEach((v, e) => {
      if (p.step(v, 0.1)) reduced.push(e);
      rates.push(0.1 * p.scale);
    });
    expect(reduced).toEqual([3, 7, 11]);
    expect(rates.map((r) => Number(r.toFixed(10)))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02]);
    expect(p.state()).toEqual({ best: 0.5, badEpochs: 0, cooldownLeft: 1, scale: expect.closeTo(0.2, 12) as number });
  });

  it('max mode with an absolute threshold; the state round-trips through load', () => {
    const p = reduceOnPlateau({ mode: 'max', threshold: 0.1, thresholdMode: 'abs', patience: 1, factor: 0.1 }, minLoss);
    expect(p.config.mode).toBe('max');
    expect([0.5, 0.55, 0.56].map((v) => p.step(v, 1))).toEqual([false, false, true]);
    expect(p.scale).toBeCloseTo(0.1, 12);
    const q = reduceOnPlateau({ mode: 'max', threshold: 0.1, thresholdMode: 'abs', patience: 1, factor: 0.1 }, minLoss);
    q.load(JSON.parse(JSON.stringify(p.state())));
    expect([0.7, 0.7, 0.7].map((v) => q.step(v, 1))).toEqual([false, false, true]);
    expect(q.scale).toBeCloseTo(0.01, 12);
  });

  it('takes the monitor from fit when not given, and refuses bad settings and states', () => {
    expect(reduceOnPlateau({}, minLoss).config).toEqual({
      monitor: 'validation.losses.total',
      mode: 'min',
      factor: 0.1,
      patience: 10,
      threshold: 1e-4,
      thresholdMode: 'rel',
      cooldown: 0,
      minLr: 0,
      eps: 1e-8,
    });
    expect(() => reduceOnPlateau({ factor: 1 }, minLoss)).toThrow(new OptionsError('reduceOnPlateau: factor must be in (0, 1), got 1'));
    expect(() => reduceOnPlateau({ patience: -1 }, minLoss)).toThrow(new OptionsError('reduceOnPlateau: patience must be an integer ≥ 0, got -1'));
    expect(() => reduceOnPlateau({ cooldown: 0.5 }, minLoss)).toThrow(new OptionsError('reduceOnPlateau: cooldown must be an integer ≥ 0, got 0.5'));
    expect(() => reduceOnPlateau({}, minLoss).load({ best: 'x' })).toThrow(/plateau state is malformed/);
  });
});

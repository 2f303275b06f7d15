import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { defaultMonitor, monitorValue } from '../../../src/trainer/loop/monitor.js';

const train = { losses: { total: 0.5, dice: 0.25 }, samples: 10, samplesPerSecond: 1, dataWait: 0 };

describe('monitor', () => {
  it('defaults to the validation loss with a validation set, else the training loss (min)', () => {
    expect(defaultMonitor(true)).toEqual({ key: 'validation.losses.total', mode: 'min' });
    expect(defaultMonitor(false)).toEqual({ key: 'train.losses.total', mode: 'min' });
  });

  it('reads a dotted key: a number, or the org of a metric with a confidence interval', () => {
    const entry = { train, validation: { losses: { total: 0.75 }, metrics: { acc: 0.9, auc: { org: 0.8, low: 0.7, high: 0.9 } } } };
    expect(monitorValue('train.losses.dice', entry)).toBe(0.25);
    expect(monitorValue('validation.losses.total', entry)).toBe(0.75);
    expect(monitorValue('validation.metrics.acc', entry)).toBe(0.9);
    expect(monitorValue('validation.metrics.auc', entry)).toBe(0.8);
  });

  it('refuses a key that is not a number, naming it and what it found', () => {
    expect(() => monitorValue('train.losses.nope', { train })).toThrow(OptionsError);
    expect(() => monitorValue('train.losses', { train })).toThrow(`fit: monitored value 'train.losses' is not a number after the epoch (got {"total":0.5,"dice":0.25})`);
    expect(() => monitorValue('validation.losses.total', { train })).toThrow(/got undefined/);
  });
});

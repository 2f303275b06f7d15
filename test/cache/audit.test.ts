import { describe, expect, it } from 'vitest';
import { AuditSchedule } from '../../src/cache/audit.js';
import { OptionsError } from '../../src/core/errors.js';

const ticks = (s: AuditSchedule, n: number): boolean[] => Array.from({ length: n }, () => s.tick());

describe('audit schedule', () => {
  it('audits the first read, then every N reads', () => {
    expect(ticks(new AuditSchedule({ everySamples: 3 }), 7)).toEqual([true, false, false, true, false, false, true]);
    expect(ticks(new AuditSchedule({ everySamples: 3, firstSample: false }), 7)).toEqual([false, false, true, false, false, true, false]);
  });

  it('audits when the minutes have passed (default every 30 minutes)', () => {
    let now = 0;
    const s = new AuditSchedule({}, () => now);
    expect(s.tick()).toBe(true);
    now = 29 * 60_000;
    expect(s.tick()).toBe(false);
    now = 30 * 60_000;
    expect(s.tick()).toBe(true);
    now = 31 * 60_000;
    expect(s.tick()).toBe(false);
    const quick = new AuditSchedule({ everyMinutes: 0.5, firstSample: false }, () => now);
    expect(quick.tick()).toBe(false);
    now += 30_000;
    expect(quick.tick()).toBe(true);
  });

  it('rejects bad rates when built', () => {
    expect(() => new AuditSchedule({ everySamples: 0 })).toThrow(OptionsError);
    expect(() => new AuditSchedule({ everyMinutes: -1 })).toThrow(/everyMinutes/);
  });
});

import { describe, expect, it } from 'vitest';
import { threadCpuMs } from '../../../src/trainer/parallel/thread-cpu.js';

describe('threadCpuMs (diagnostic CPU time of the calling thread)', () => {
  it.runIf(process.platform === 'linux')('is finite and never decreases across work on this thread (Linux)', () => {
    const a = threadCpuMs();
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x = (x + i * 7) % 1000003;
    const b = threadCpuMs();
    expect(Number.isFinite(a)).toBe(true);
    expect(b).toBeGreaterThanOrEqual(a);
    expect(x).toBeGreaterThanOrEqual(0);
  });
});

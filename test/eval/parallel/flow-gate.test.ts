/**
 * The workers layer under parallel evaluation: a synchronous producer never has more than
 * `window` items in flight on a lane (FlowGate), a worker started from TypeScript sources runs
 * (startWorker's tsx bootstrap), and only buffers a state owns whole are moved (transferablesOf).
 */
import { describe, expect, it } from 'vitest';
import { FlowGate } from '../../../src/workers/flow-gate.js';
import { startWorker } from '../../../src/core/start-worker.js';
import { transferablesOf } from '../../../src/workers/transfer-list.js';

describe('FlowGate', () => {
  it('keeps at most `window` items in flight while a synchronous producer outruns a slow worker', async () => {
    const gate = new FlowGate(1, 3);
    const worker = startWorker(import.meta.url, './gate-worker', { input: { buffer: gate.buffer, lane: 0, delayMs: 3 } });
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      worker.on('message', (item: number) => {
        got.push(item);
        if (got.length === 40) resolve();
      });
    });
    let most = 0;
    for (let i = 0; i < 40; i++) {
      gate.acquire(0); // blocks this thread: the worker's credits arrive through shared memory
      most = Math.max(most, gate.inFlight(0));
      worker.postMessage(i);
    }
    await done;
    await worker.terminate();
    expect(most).toBe(3);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('gives up with a message when a lane hands no credit back (a hung worker)', () => {
    const gate = new FlowGate(1, 1);
    gate.acquire(0);
    expect(() => gate.acquire(0, 50)).toThrow(/lane 0 handled nothing for 0 s; stopping/);
  });
});

describe('transferablesOf', () => {
  it('moves whole, non-empty buffers of a state, not partial views, empty ones or those it shares', () => {
    const own = new Float64Array(4);
    const shared = new Int32Array(2);
    const pool = new Uint8Array(16);
    const state = { own, again: own, shared, part: pool.subarray(4, 8), empty: new Float64Array(0), nested: new Map([['k', [new Uint16Array(3)]]]) };
    const moved = transferablesOf(state, new Set([shared.buffer]));
    expect(moved).toHaveLength(2);
    expect(moved).toContain(own.buffer);
    expect(moved).not.toContain(pool.buffer);
    expect(moved).not.toContain(shared.buffer);
  });
});

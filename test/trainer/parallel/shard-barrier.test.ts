import { describe, expect, it } from 'vitest';
import { CONTROL } from '../../../src/trainer/parallel/replica-protocol.js';
import { shardBarrier } from '../../../src/trainer/parallel/shard-barrier.js';

const controlWords = (): Int32Array => new Int32Array(new SharedArrayBuffer(CONTROL.words * 4));

describe('shardBarrier (the sharded update’s barrier)', () => {
  it('two participants pass 100 barriers in turn: the first to arrive waits for the other, the last one passes at once', async () => {
    const control = controlWords();
    const a = shardBarrier(control, 2, 'a');
    const b = shardBarrier(control, 2, 'b');
    for (let round = 0; round < 100; round++) {
      let passed = false;
      const first = a.waitAsync().then(() => (passed = true));
      // a is waiting (its wake-up is a task: not before this turn ends)
      await new Promise((r) => setImmediate(r));
      expect(passed).toBe(false);
      if (round % 2 === 0) b.wait();
      else await b.waitAsync();
      await first;
      expect(passed).toBe(true);
    }
    expect(Atomics.load(control, CONTROL.arrive)).toBe(200);
  });

  it('a participant waiting asynchronously gives up with an error naming it when CONTROL.abort is set (a replica died)', async () => {
    const control = controlWords();
    const waiting = shardBarrier(control, 2, 'replica pool (this thread)').waitAsync();
    setTimeout(() => {
      Atomics.store(control, CONTROL.abort, 1);
      Atomics.notify(control, CONTROL.arrive);
    }, 20);
    await expect(waiting).rejects.toThrow(/replica pool \(this thread\): another participant stopped during the step/);
  });
});

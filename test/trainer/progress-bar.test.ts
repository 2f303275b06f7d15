import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/trainer/progress-bar.js';

function sink(isTTY: boolean): { stream: NodeJS.WritableStream & { isTTY: boolean }; text: () => string } {
  let text = '';
  const stream = { isTTY, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean };
  return { stream, text: () => text };
}

describe('progressBar', () => {
  const frame = { epoch: 1, epochs: 5, batches: 10, total: 40, loss: 0.41234, samplesPerSecond: 812.4, dataWait: 0.031 };
  it('shows epoch, bar, batches, loss, samples/s and data-wait share', () => {
    const s = sink(false);
    const bar = progressBar({ stream: s.stream, intervalMs: 0 });
    bar.update(frame);
    expect(s.text()).toBe('epoch 2/5 [#####...............] 10/40 loss 0.4123 812 samples/s data-wait 3.1%\n');
  });
  it('redraws in place on a terminal and ends the line with a summary', () => {
    const s = sink(true);
    const bar = progressBar({ stream: s.stream, intervalMs: 0 });
    bar.update(frame);
    bar.update({ ...frame, batches: 40 });
    bar.done('epoch 2/5 done');
    expect(s.text().split('\r\x1b[2K')).toHaveLength(4);
    expect(s.text().endsWith('epoch 2/5 done\n')).toBe(true);
  });
  it('prints at most one line per interval off a terminal', () => {
    const s = sink(false);
    const bar = progressBar({ stream: s.stream, intervalMs: 60_000 });
    for (let i = 0; i < 50; i++) bar.update({ ...frame, batches: i });
    expect(s.text().split('\n').filter(Boolean)).toHaveLength(1);
  });
});

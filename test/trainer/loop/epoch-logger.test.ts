import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError } from '../../../src/core/safe-fs.js';
import { epochLogger, type EpochLog } from '../../../src/trainer/loop/epoch-logger.js';
import { newLoopState } from '../../../src/trainer/loop/loop-state.js';
import type { ProgressBar, ProgressFrame } from '../../../src/trainer/progress-bar.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ff-loop-log-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A progress display that keeps what it is shown. */
function recordingBar(): ProgressBar & { frames: ProgressFrame[]; lines: (string | undefined)[] } {
  const frames: ProgressFrame[] = [];
  const lines: (string | undefined)[] = [];
  return { frames, lines, update: (f) => frames.push(f), done: (s) => lines.push(s) };
}

const entry: EpochLog = {
  epoch: 1,
  step: 26,
  lr: 0.001,
  train: { losses: { total: 0.25, crossEntropy: 0.25 }, samples: 400, samplesPerSecond: 1234.4, dataWait: 0.0125 },
  validation: { losses: { total: 0.5, crossEntropy: 0.5 }, metrics: { acc: 0.875 } },
  monitor: 0.875,
  best: true,
};

describe('epochLogger', () => {
  it('appends one JSON line per epoch, in the entry key order, and ends the progress line with the summary', () => {
    const dir = tmp();
    const logPath = join(dir, 'log.jsonl');
    const bar = recordingBar();
    const logger = epochLogger({ logPath, epochs: 5, monitorKey: 'validation.metrics.acc', progress: bar });
    logger.epoch(entry);
    logger.epoch({ ...entry, epoch: 2, best: false });
    expect(readFileSync(logPath, 'utf8')).toBe(
      '{"epoch":1,"step":26,"lr":0.001,"train":{"losses":{"total":0.25,"crossEntropy":0.25},"samples":400,"samplesPerSecond":1234.4,"dataWait":0.0125},"validation":{"losses":{"total":0.5,"crossEntropy":0.5},"metrics":{"acc":0.875}},"monitor":0.875,"best":true}\n' +
        '{"epoch":2,"step":26,"lr":0.001,"train":{"losses":{"total":0.25,"crossEntropy":0.25},"samples":400,"samplesPerSecond":1234.4,"dataWait":0.0125},"validation":{"losses":{"total":0.5,"crossEntropy":0.5},"metrics":{"acc":0.875}},"monitor":0.875,"best":false}\n',
    );
    expect(bar.lines).toEqual([
      'epoch 2/5 loss 0.2500 validation.metrics.acc 0.8750 (best) 1234 samples/s data-wait 1.3%',
      'epoch 3/5 loss 0.2500 validation.metrics.acc 0.8750 1234 samples/s data-wait 1.3%',
    ]);
  });

  it('a progress frame after a step: running mean loss, rates over the elapsed time', () => {
    const bar = recordingBar();
    const logger = epochLogger({ logPath: join(tmp(), 'log.jsonl'), epochs: 3, monitorKey: 'train.losses.total', progress: bar });
    const state = { ...newLoopState(), epoch: 1, batches: 4, samples: 128, sums: { total: 2 } };
    logger.progress(state, 2000, 500);
    expect(bar.frames).toEqual([{ epoch: 1, epochs: 3, batches: 4, loss: 0.5, samplesPerSecond: 64, dataWait: 0.25 }]);
  });

  it('an interruption ends the progress line naming the epoch, step and checkpoint', () => {
    const bar = recordingBar();
    const logger = epochLogger({ logPath: join(tmp(), 'log.jsonl'), epochs: 3, monitorKey: 'train.losses.total', progress: bar });
    logger.interrupted(1, 8, 'runs/a/last.ckpt');
    expect(bar.lines).toEqual(['interrupted at epoch 2, step 8; runs/a/last.ckpt holds the exact position (resume: true continues)']);
  });

  it('progress: false shows nothing and still writes the log', () => {
    const dir = tmp();
    const logger = epochLogger({ logPath: join(dir, 'log.jsonl'), epochs: 3, monitorKey: 'train.losses.total', progress: false });
    logger.progress({ ...newLoopState(), batches: 1 }, 10, 1);
    logger.epoch(entry);
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n')).toHaveLength(2);
  });

  it('refuses to append through a symbolic link (the target is untouched)', () => {
    const dir = tmp();
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'keep\n');
    symlinkSync(outside, join(dir, 'log.jsonl'));
    const logger = epochLogger({ logPath: join(dir, 'log.jsonl'), epochs: 3, monitorKey: 'train.losses.total', progress: false });
    expect(() => logger.epoch(entry)).toThrow(OutputError);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
  });
});

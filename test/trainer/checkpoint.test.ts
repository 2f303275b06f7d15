import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { readCheckpoint, restoreWeights, saveCheckpoint } from '../../src/trainer/checkpoint.js';
import { classificationHead } from '../../src/trainer/heads/classification-head.js';
import { multiHeadModel } from '../../src/trainer/models/multi-head-model.js';
import { resnet } from '../../src/trainer/models/resnet.js';
import { createOptimizer } from '../../src/trainer/optim/optimizer.js';
import { tabularModel } from './helpers/tabular.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-ckpt-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trips weights, optimizer slots and train state exactly', async () => {
    const model = tabularModel(9);
    const vars = model.trainableVariables();
    const opt = createOptimizer({ type: 'adam' }, vars);
    const grads = vars.map((v) => tf.onesLike(v));
    opt.apply(grads, 0.01);
    const path = join(dir, 'a.ckpt');
    await saveCheckpoint(path, { model, optimizer: await opt.state(), trainState: { loop: { epoch: 2, position: 64 }, seed: 5 } });
    const ckpt = readCheckpoint(path);
    expect(ckpt.trainState).toEqual({ loop: { epoch: 2, position: 64 }, seed: 5 });
    expect(ckpt.optimizer!.step).toBe(1);
    const state = await opt.state();
    ckpt.optimizer!.slots.forEach((s, i) => expect(Array.from(s.data)).toEqual(Array.from(state.slots[i]!.data)));
    const other = tabularModel(10);
    restoreWeights(other, ckpt);
    other.net.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(model.net.getWeights()[i]!.dataSync())));
    tf.dispose(grads);
    opt.dispose();
  });

  it('rejects a truncated or foreign file, naming it', async () => {
    const path = join(dir, 'b.ckpt');
    await saveCheckpoint(path, { model: tabularModel(1), trainState: {} });
    const bytes = readFileSync(path);
    writeFileSync(join(dir, 'cut.ckpt'), bytes.subarray(0, bytes.length - 10));
    expect(() => readCheckpoint(join(dir, 'cut.ckpt'))).toThrow(InputError);
    expect(() => readCheckpoint(join(dir, 'cut.ckpt'))).toThrow(/cut\.ckpt: checksum mismatch.*truncated/);
    writeFileSync(join(dir, 'foreign.ckpt'), 'hello world, not a checkpoint');
    expect(() => readCheckpoint(join(dir, 'foreign.ckpt'))).toThrow(/foreign\.ckpt: not a fuseflow checkpoint/);
  });

  it('refuses a checkpoint with one flipped bit (checksum mismatch), in the header, a weight or the checksum itself', async () => {
    const path = join(dir, 'flip.ckpt');
    const model = tabularModel(3);
    await saveCheckpoint(path, { model, trainState: { loop: { epoch: 1 } } });
    const bytes = readFileSync(path);
    // Offsets: in the JSON header, in the float32 blobs (a weight's exponent byte), in the trailing SHA-256.
    for (const at of [20, bytes.length - 32 - 4 * 7 - 1, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] = (damaged[at] as number) ^ 0x40;
      const file = join(dir, `flip-${at}.ckpt`);
      writeFileSync(file, damaged);
      expect(() => readCheckpoint(file)).toThrow(InputError);
      expect(() => readCheckpoint(file)).toThrow(new RegExp(`flip-${at}\\.ckpt: checksum mismatch`));
    }
    expect(readCheckpoint(path).trainState).toEqual({ loop: { epoch: 1 } });
  });

  it('refuses a format-1 checkpoint (no checksum), saying why', async () => {
    const path = join(dir, 'v1.ckpt');
    await saveCheckpoint(path, { model: tabularModel(1), trainState: {} });
    const bytes = Buffer.from(readFileSync(path));
    bytes.write('FFCKPT01', 0, 'latin1');
    writeFileSync(path, bytes);
    expect(() => readCheckpoint(path)).toThrow(/v1\.ckpt: checkpoint format 'FFCKPT01' is not read/);
  });

  it('never writes through a symbolic link at the target; replaces a regular file', async () => {
    const outside = join(dir, 'outside.bin');
    writeFileSync(outside, 'precious');
    const link = join(dir, 'link.ckpt');
    symlinkSync(outside, link);
    await expect(saveCheckpoint(link, { model: tabularModel(1), trainState: {} })).rejects.toThrow(OutputError);
    await expect(saveCheckpoint(link, { model: tabularModel(1), trainState: {} })).rejects.toThrow(/link\.ckpt: is a symbolic link/);
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    const path = join(dir, 'again.ckpt');
    await saveCheckpoint(path, { model: tabularModel(1), trainState: { n: 1 } });
    await saveCheckpoint(path, { model: tabularModel(1), trainState: { n: 2 } });
    expect(readCheckpoint(path).trainState).toEqual({ n: 2 });
  });

  it('refuses weights of another architecture', async () => {
    const path = join(dir, 'c.ckpt');
    await saveCheckpoint(path, { model: tabularModel(1), trainState: {} });
    const other = multiHeadModel({ inputs: [{ key: 'data.img', shape: [4, 4, 1] }], backbone: resnet({ dims: 2, filters: [2] }), heads: [classificationHead()] });
    expect(() => restoreWeights(other, readCheckpoint(path), path)).toThrow(InputError);
  });

  it('loads in a fresh process that imports only the checkpoint module (custom layers registered)', async () => {
    const model = tabularModel(4, true);
    const path = join(dir, 'fresh.ckpt');
    await saveCheckpoint(path, { model, trainState: {} });
    const expected = Array.from((model.net.predict(tf.ones([1, 30])) as tf.Tensor[])[1]!.dataSync());
    const modulePath = fileURLToPath(new URL('../../src/trainer/checkpoint.ts', import.meta.url));
    const code = `import * as tf from '@tensorflow/tfjs'; await tf.setBackend('cpu'); const { loadModel } = await import(${JSON.stringify(modulePath)}); const m = await loadModel(${JSON.stringify(path)}); process.stdout.write(JSON.stringify(Array.from(m.net.predict(tf.ones([1, 30]))[1].dataSync())));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(JSON.parse(out.slice(out.indexOf('['))) as number[]).toEqual(expected);
  });
});

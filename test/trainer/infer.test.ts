import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setKey, type Sample } from '../../src/core/sample.js';
import { OutputError } from '../../src/core/safe-fs.js';
import { inferToArrow } from '../../src/trainer/infer.js';
import { table, tabularModel, validationBatches } from './helpers/tabular.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-infer-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inferToArrow', () => {
  it('streams ids, targets and class scores batch by batch into an Arrow IPC file', async () => {
    const model = tabularModel(2);
    const path = join(dir, 'preds.arrow');
    const seen: number[] = [];
    await inferToArrow({ model, batches: validationBatches(0, 10, 4)(), path: join(dir, 'warm.arrow'), columns: { pred: 'model.output.cls' } });
    const before = tf.memory().numTensors;
    const result = await inferToArrow({
      model,
      batches: validationBatches(0, 100, 32)(),
      path,
      columns: { target: 'data.label', pred: 'model.output.cls', logit: 'model.logits.cls' },
      onBatch: ({ rows }) => seen.push(rows),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ rows: 100, batches: 4, columns: ['id', 'target', 'pred_0', 'pred_1', 'logit_0', 'logit_1'] });
    expect(seen).toEqual([32, 64, 96, 100]);
    const t = tableFromIPC(readFileSync(path));
    expect(t.numRows).toBe(100);
    expect(t.batches).toHaveLength(4);
    expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'id:Utf8',
      'target:Int32',
      'pred_0:Float32',
      'pred_1:Float32',
      'logit_0:Float32',
      'logit_1:Float32',
    ]);
    const ids = t.getChild('id')!.toArray() as string[];
    expect(Array.from(ids)).toEqual(table.ids.slice(0, 100));
    expect(Array.from(t.getChild('target')!.toArray() as Int32Array)).toEqual(table.labels.slice(0, 100));
    const p0 = t.getChild('pred_0')!.toArray() as Float32Array;
    const p1 = t.getChild('pred_1')!.toArray() as Float32Array;
    for (let i = 0; i < 100; i++) expect(p0[i]! + p1[i]!).toBeCloseTo(1, 5);
    // the same scores as one predict call on the first sample
    const one = await model.predict(
      setKey(table.samples.get('bc-0') as Sample, 'data.features', { ...(table.samples.get('bc-0')!['data'] as { features: { data: Float32Array } }).features, shape: [1, 30] }),
    );
    const direct = (one['model'] as { output: { cls: { data: Float32Array } } }).output.cls.data[1]!;
    expect(p1[0]).toBeCloseTo(direct, 6);
    expect(readdirSync(dir).filter((f) => f.startsWith(`.${basename(path)}.tmp-`))).toEqual([]);
  });

  it('writes the IPC stream format too, and an empty input gives a readable empty file', async () => {
    const model = tabularModel(2);
    const path = join(dir, 'preds.arrows');
    await inferToArrow({ model, batches: validationBatches(0, 5, 2)(), path, format: 'stream', columns: { pred: 'model.output.cls' } });
    expect(tableFromIPC(readFileSync(path)).numRows).toBe(5);
    const empty = join(dir, 'empty.arrow');
    const r = await inferToArrow({ model, batches: validationBatches(0, 0, 2)(), path: empty, columns: { pred: 'model.output.cls' } });
    expect(r.rows).toBe(0);
    expect(existsSync(empty)).toBe(true);
  });

  it('fails clearly on a batch whose columns change, leaving no file behind', async () => {
    const model = tabularModel(2);
    const path = join(dir, 'bad.arrow');
    const batches = {
      async *[Symbol.asyncIterator]() {
        let i = 0;
        for await (const b of validationBatches(0, 8, 4)()) {
          yield i++ === 0 ? b : setKey(b, 'data.label', ['x', 'y', 'z', 'w']);
        }
      },
    };
    await expect(inferToArrow({ model, batches, path, columns: { target: 'data.label', pred: 'model.output.cls' } })).rejects.toThrow(/batch 1 has columns .*target:Utf8/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(`.${basename(path)}.tmp-`))).toEqual([]);
  });

  it('never writes through a symbolic link at the target, and a missing folder is an OutputError naming the file', async () => {
    const sub = mkdtempSync(join(dir, 'link-'));
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'keep');
    const path = join(sub, 'preds.arrow');
    symlinkSync(outside, path);
    const args = { model: tabularModel(2), columns: { pred: 'model.output.cls' } };
    await expect(inferToArrow({ ...args, batches: validationBatches(0, 10, 4)(), path })).rejects.toThrow(`${path}: is a symbolic link`);
    expect(readFileSync(outside, 'utf8')).toBe('keep');
    expect(readdirSync(sub)).toEqual(['preds.arrow']);
    const missing = join(dir, 'no-such', 'preds.arrow');
    await expect(inferToArrow({ ...args, batches: validationBatches(0, 10, 4)(), path: missing })).rejects.toThrow(OutputError);
    await expect(inferToArrow({ ...args, batches: validationBatches(0, 10, 4)(), path: missing })).rejects.toThrow(`${missing}: cannot write: its folder does not exist`);
  });
});

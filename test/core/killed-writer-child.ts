/**
 * Test child for test/core/killed-output-writers.test.ts: writes one output through the writer
 * named by its first argument, to the path in its second, as fuseflow writes it — `arrow`
 * (writeArrowAtomic: validation / out-of-fold prediction files), `image` (writeImage through the
 * image I/O worker: segmentation outputs, a NIfTI), `demo` (the demo's summary.json; the path
 * names the summary). The data are fixed, so two runs write the same bytes. With
 * FUSEFLOW_TEST_PAUSE_BEFORE_RENAME set the write holds before its rename (safe-fs.ts).
 */
import { dirname } from 'node:path';

const [kind, target] = process.argv.slice(2);
if (target === undefined) throw new Error('usage: killed-writer-child.ts arrow|image|demo PATH');
// Each writer's modules only (the demo's pull in the trainer): a quicker start.
if (kind === 'arrow') {
  const { tableFromArrays } = await import('apache-arrow');
  const { writeArrowAtomic } = await import('../../src/trainer/arrow-file-out.js');
  const id = Array.from({ length: 3_000 }, (_, i) => `s${i}`);
  const pred = Float32Array.from(id, (_, i) => (i % 97) / 97);
  const table = tableFromArrays({ id, pred });
  await writeArrowAtomic(target, { overwrite: false }, async (write) => {
    for (const batch of table.batches) await write(batch);
  });
} else if (kind === 'image') {
  const { createImage } = await import('../../src/core/image.js');
  const { writeImage } = await import('../../src/ops/image/io/write-image.js');
  const size = [9, 7, 5];
  const data = Uint8Array.from({ length: 9 * 7 * 5 }, (_, i) => (i * 37) % 251);
  await writeImage(createImage('uint8', size, data, { spacing: [1, 1.5, 2] }), target);
} else if (kind === 'demo') {
  const { writeDemoSummary } = await import('../../src/cli/commands/demo.js');
  writeDemoSummary(dirname(target), { seconds: { total: 1.5 }, breastCancer: { auc: 0.99 } });
} else {
  throw new Error(`unknown writer '${String(kind)}'`);
}
process.stdout.write(`wrote ${target}\n`);

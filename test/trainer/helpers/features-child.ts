/**
 * Child process for the features kill-and-resume test: runs {@link featuresRun} on the cpu
 * backend, printing `step <n>` after each update, and writes the final weights to
 * `<dir>/final.bin`. Usage: node --import tsx features-child.ts <dir> run|resume
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../../../src/trainer/backend.js';
import { fit } from '../../../src/trainer/fit.js';
import { featuresRun } from './features-run.js';

const [dir, mode] = process.argv.slice(2) as [string, string];
await useBackend('cpu', { log: null });
const options = featuresRun(dir, { resume: mode === 'resume', onStep: ({ step }) => void process.stdout.write(`step ${step}\n`) });
const result = await fit(options);
const parts = await Promise.all(options.model.net.getWeights().map(async (w) => Buffer.from(((await w.data()) as Float32Array).buffer)));
writeFileSync(join(dir, 'final.bin'), Buffer.concat(parts));
process.stdout.write(`done resumed=${JSON.stringify(result.resumedFrom)} lrs=${JSON.stringify(result.history.map((h) => h.lr))}\n`);

/**
 * One independent training process for the trainer bench's machine ceiling: the fixed CNN on the
 * wasm backend with fuseflow's kernels, one thread, a synthetic batch of BATCH rows. It warms up
 * WARM steps, prints `ready`, waits for a line on stdin (so that two such processes start timing
 * together), times STEPS steps and prints one JSON line `{ "msPerStep": …, "cpuMsPerStep": … }`.
 *
 * usage: tsx bench/lib/solo-stepper.ts BATCH WARM STEPS
 */
import { once } from 'node:events';
import { useBackend } from '../../src/trainer/backend.js';
import { fixedCnn } from './fixed-cnn.js';

const [batch, warm, steps] = process.argv.slice(2).map(Number) as [number, number, number];
await useBackend('wasm', { log: null });
const cnn = fixedCnn(batch);
for (let i = 0; i < warm; i++) cnn.step();
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) cnn.step();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
cnn.dispose();
process.stdout.write(`${JSON.stringify({ msPerStep: ms / steps, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps })}\n`);
process.exit(0);

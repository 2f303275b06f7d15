/**
 * Worker of flow-gate.test.ts: for each message, busy-waits `delayMs`, gives the credit back and
 * replies with the item's number.
 */
import { parentPort } from 'node:worker_threads';
import { releaseCredit } from '../../../src/workers/flow-gate.js';
import { workerInput } from '../../../src/core/start-worker.js';

const { buffer, lane, delayMs } = workerInput() as { buffer: SharedArrayBuffer; lane: number; delayMs: number };
parentPort?.on('message', (item: number) => {
  const until = Date.now() + delayMs;
  while (Date.now() < until);
  releaseCredit(buffer, lane);
  parentPort?.postMessage(item);
});

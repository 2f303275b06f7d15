/**
 * The workers layer (streams, cache, trainer and eval use it; it uses only core and ops): the
 * pool that runs a dynamic pipeline on worker threads, the per-lane flow gate, task timeouts,
 * thread progress records and transfer lists. Starting a worker beside its caller, compiled or
 * from TypeScript sources, is `workerEntry` / `startWorker` in src/core, so ops can use it too.
 */
export { type StaticStore, type DynamicRunner } from './contracts.js';
export { createWorkerRunner, WorkerCrashError, type WorkerRunner, type WorkerRunnerOptions, type WorkerRunnerStats } from './worker-runner.js';
export { FlowGate, DEFAULT_STALL_MS, releaseCredit, closeLane } from './flow-gate.js';
export { TaskWatchdog, DEFAULT_TASK_TIMEOUT_MS, timeoutOption, type PhaseLimits, type Timeout } from './task-watchdog.js';
export { WorkerProgress, Phase, PROGRESS_SLOTS, progressBuffer } from './worker-progress.js';
export { forTransfer, forReturn, buffersIn, transferablesOf, checkSendable, checkSpecSendable, type Outgoing, type ForTransferOptions } from './transfer-list.js';
export { rebuildPipeline, loadBuiltinOps } from './rebuild-pipeline.js';

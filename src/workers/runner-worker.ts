/**
 * Piscina worker of the dynamic stage: rebuilds the dynamic pipeline from its spec (once per
 * thread), runs each sample of a task with the task's run key, and sends the outputs back with
 * their buffers in the transfer list (arrays held by op options, e.g. a constant an op writes into
 * every sample, are copied so the op keeps them). Before each sample and op it records where it is in a
 * shared progress array, so if the thread dies (an op calling `process.exit`, a native crash) or
 * runs out of time the pool can still name the op, op id and sample; the setup and each sample
 * are timed from when this thread begins them.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { OpError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import { runPipeline, type PipelineSpec, type RunKey } from '../ops/pipeline.js';
import { forReturn } from './transfer-list.js';
import { WorkerProgress } from './worker-progress.js';
import { rebuildPipeline } from './rebuild-pipeline.js';

/** One task: several samples, one run key. */
export interface RunnerTask {
  readonly spec: PipelineSpec;
  readonly samples: readonly Sample[];
  readonly run: RunKey;
  /** Progress array (see worker-progress.ts) written as the task advances. */
  readonly progress: SharedArrayBuffer;
  /** `Date.now()` on the main thread when the task was sent (phase start times are relative to it). */
  readonly sentAt: number;
  /** `'stop'`: return at the first failing sample; `'skip'`: go on. */
  readonly onError: 'stop' | 'skip';
}

/** Per input sample: its outputs, or the op error it hit. */
export type RunnerResult = { readonly outputs: Sample[] } | { readonly error: { readonly op: string; readonly opId: string; readonly sampleId: string; readonly message: string } };

const tracker = new WorkerProgress();

/** Piscina entry point (run with `{ name: 'runTask' }`). */
export async function runTask(task: RunnerTask): Promise<unknown> {
  tracker.begin(task.progress, task.sentAt);
  const p = tracker.instrument(await rebuildPipeline(task.spec));
  const results: RunnerResult[] = [];
  for (let i = 0; i < task.samples.length; i++) {
    tracker.startSample(i);
    try {
      results.push({ outputs: await runPipeline(p, task.samples[i] as Sample, task.run) });
    } catch (err) {
      const e = err instanceof OpError ? err : new OpError('?', '?', '?', err);
      const cause = e.cause instanceof Error ? e.cause.message : String(e.cause);
      results.push({ error: { op: e.op, opId: e.opId, sampleId: e.sampleId, message: cause } });
      if (task.onError === 'stop') break;
    }
  }
  const ok = results.flatMap((r) => ('outputs' in r ? [r.outputs] : []));
  const { value, transfer } = forReturn(ok, tracker.constantsOf(p));
  let k = 0;
  const sendable = results.map((r): RunnerResult => ('outputs' in r ? { outputs: value[k++] as Sample[] } : r));
  return move({ [transferableSymbol]: transfer, [valueSymbol]: sendable });
}

/**
 * Piscina worker of the dynamic stage: rebuilds the dynamic pipeline from its spec (once per
 * thread), runs each sample of a task with the task's run key, and sends the outputs back with
 * their buffers in the transfer list (arrays held by op options, e.g. a constant an op writes into
 * every sample, are copied so the op keeps them). Before each sample and op it records where it is in a
 * shared progress array, so if the thread dies (an op calling `process.exit`, a native crash)
 * the pool can still name the op, op id and sample.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { OpError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import type { Op } from '../ops/op.js';
import { pipeline, runPipeline, type Pipeline, type PipelineSpec, type RunKey } from '../ops/pipeline.js';
import { buffersIn, forReturn } from './transfer-list.js';
import { rebuildPipeline } from './rebuild-pipeline.js';

/** One task: several samples, one run key. */
export interface RunnerTask {
  readonly spec: PipelineSpec;
  readonly samples: readonly Sample[];
  readonly run: RunKey;
  /** Int32 [sample index, op index] written as the task advances. */
  readonly progress: SharedArrayBuffer;
  /** `'stop'`: return at the first failing sample; `'skip'`: go on. */
  readonly onError: 'stop' | 'skip';
}

/** Per input sample: its outputs, or the op error it hit. */
export type RunnerResult =
  | { readonly outputs: Sample[] }
  | { readonly error: { readonly op: string; readonly opId: string; readonly sampleId: string; readonly message: string } };

let progress: Int32Array | undefined;
const instrumented = new WeakMap<Pipeline, Pipeline>();
/** Buffers held by each pipeline's op options: outputs that reference them get copies. */
const constants = new WeakMap<Pipeline, Set<ArrayBufferLike>>();

/** The same pipeline whose ops first record their index in the progress array. */
function withProgress(p: Pipeline): Pipeline {
  let q = instrumented.get(p);
  if (q === undefined) {
    const ops = p.ops.map(
      (op, i): Op<object> => ({
        ...op,
        id: p.opIds[i] as string,
        apply: (s, ctx) => {
          if (progress !== undefined) Atomics.store(progress, 1, i);
          return op.apply(s, ctx);
        },
      }),
    );
    q = pipeline(ops, { name: p.name, opIndexBase: p.opIndexBase });
    instrumented.set(p, q);
    constants.set(q, buffersIn(p.ops.map((op) => op.options)));
  }
  return q;
}

/** Piscina entry point (run with `{ name: 'runTask' }`). */
export async function runTask(task: RunnerTask): Promise<unknown> {
  const p = withProgress(await rebuildPipeline(task.spec));
  progress = new Int32Array(task.progress);
  const results: RunnerResult[] = [];
  for (let i = 0; i < task.samples.length; i++) {
    Atomics.store(progress, 0, i);
    Atomics.store(progress, 1, -1);
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
  const { value, transfer } = forReturn(ok, constants.get(p) ?? new Set());
  let k = 0;
  const sendable = results.map((r): RunnerResult => ('outputs' in r ? { outputs: value[k++] as Sample[] } : r));
  return move({ [transferableSymbol]: transfer, [valueSymbol]: sendable } as Parameters<typeof move>[0]);
}

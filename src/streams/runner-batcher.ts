/**
 * Groups the dynamic-stage requests of several ids into one `DynamicRunner.run` call, so a
 * worker pool gets enough samples per call to fill its tasks (the round trip is paid per task,
 * not per sample).
 */
import { FuseflowError } from '../core/errors.js';
import type { Sample } from '../core/sample.js';
import type { RunKey } from '../ops/pipeline.js';
import type { DynamicRunner } from '../workers/contracts.js';
import type { Cancellation } from './ordered-map.js';
import { CancelledError } from './to-operator.js';

interface Request {
  readonly samples: readonly Sample[];
  readonly resolve: (outputs: Sample[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Submits samples; resolves with their outputs (flattened in input order). */
export type RunnerBatcher = (samples: readonly Sample[]) => Promise<Sample[]>;

/**
 * A batcher over `runner` for one stream. Requests made in the same turn of the event loop go
 * out together (flushed on `setImmediate`), or at once when `maxSamples` are waiting.
 *
 * Bound: at most `maxSamples` samples wait here, plus whatever the caller submits in one turn
 * (the dataset stream submits at most `concurrency` ids' worth).
 * @throws nothing when built; each request rejects with the runner's error, a
 * `FuseflowError` when the runner returns the wrong number of groups, or `CancelledError` after
 * the stream was closed.
 */
export function runnerBatcher(runner: DynamicRunner, run: RunKey, maxSamples: number, cancel: Cancellation): RunnerBatcher {
  let pending: Request[] = [];
  let waiting = 0;
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const requests = pending;
    pending = [];
    waiting = 0;
    if (requests.length === 0) return;
    if (cancel.cancelled) {
      for (const r of requests) r.reject(new CancelledError());
      return;
    }
    const all: Sample[] = [];
    for (const r of requests) for (const s of r.samples) all.push(s);
    runner.run(all, run).then(
      (groups) => {
        if (groups.length !== all.length) {
          const err = new FuseflowError(`dynamic runner returned ${groups.length} result groups for ${all.length} samples`);
          for (const r of requests) r.reject(err);
          return;
        }
        let at = 0;
        for (const r of requests) {
          const outs: Sample[] = [];
          for (let i = 0; i < r.samples.length; i++) for (const s of groups[at++] as Sample[]) outs.push(s);
          r.resolve(outs);
        }
      },
      (err: unknown) => {
        for (const r of requests) r.reject(err);
      },
    );
  };

  return (samples) =>
    new Promise<Sample[]>((resolve, reject) => {
      pending.push({ samples, resolve, reject });
      waiting += samples.length;
      if (waiting >= maxSamples) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

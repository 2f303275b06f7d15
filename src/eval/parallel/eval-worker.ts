/**
 * Worker-thread entry of parallel evaluation: builds the metrics from their recipe, folds the
 * batches it is sent — or reads the record batches of the Arrow file segments it is dealt itself
 * (arrow-read-plan.ts) — into per-segment states and sends each segment's states back (moving
 * their buffers). Messages are handled strictly in arrival order; every batch's credit goes back to the
 * flow gate, also when the batch is skipped after an error.
 */
import { parentPort } from 'node:worker_threads';
import { FuseflowError } from '../../core/errors.js';
import { closeLane, releaseCredit } from '../../workers/flow-gate.js';
import { workerInput } from '../../core/start-worker.js';
import { orderMetrics, type NamedMetric } from '../evaluate-order.js';
import { threadErrorOf, withOrigin } from '../evaluate-origin.js';
import { BatchReader } from './arrow-read-plan.js';
import type { EvalWorkerInput, FromWorker, ToWorker } from './eval-messages.js';
import { metricsFromRecipe } from './metrics-recipe.js';
import { SegmentFold, metricFolders, passFolders, type StepGuard } from './segment-fold.js';
import { reviveClasses, tagClasses } from './state-codec.js';
import { useKeptLedger, workOnRefine } from '../metrics/histogram-kept.js';

const port = parentPort;
if (port === null) throw new Error('eval-worker runs on a worker thread');
const input = workerInput() as EvalWorkerInput;
// Rows the score histograms keep in this thread count against the main thread's budget.
useKeptLedger(input.keptLedger);

let metrics: NamedMetric[] = [];
let fold: SegmentFold | null = null;
/** Metric names of the current pass's folders. */
let folderNames: readonly string[] = [];
/** Set after an error: the rest of the pass is skipped. */
let failed = false;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

/** Metric errors leave the step tagged with the metric's name. */
class StepError extends Error {
  constructor(
    readonly metric: string,
    readonly failure: unknown,
  ) {
    super(`metric '${metric}' failed`);
  }
}
const guard: StepGuard = (metric, step) => {
  try {
    return step();
  } catch (err) {
    throw new StepError(metric, err);
  }
};

const setup = metricsFromRecipe(input.recipe).then(
  (set) => {
    metrics = orderMetrics(set);
  },
  (err: unknown) => {
    failed = true;
    post({ kind: 'error', index: -1, error: threadErrorOf('(setup)', err) });
  },
);

const files = new BatchReader();

/** Reads and folds one planned segment; errors carry the segment as their index and the row's place in the file. */
async function readSegment(message: Extract<ToWorker, { kind: 'read' }>): Promise<void> {
  const current = fold;
  if (!failed && current !== null) {
    try {
      await files.read(
        message.read,
        message.batchSize,
        (batch) => {
          current.update(batch.columns, (name, step) => {
            try {
              return withOrigin(name, batch.where, step);
            } catch (err) {
              throw new StepError(name, err);
            }
          });
        },
        (buffer) => current.holds(buffer),
      );
    } catch (err) {
      failed = true;
      const e = err instanceof StepError ? threadErrorOf(err.metric, err.failure) : threadErrorOf('(read)', err);
      post({ kind: 'error', index: message.segment, error: e });
    }
    if (!message.keep) sendStates(message.segment);
  }
  post({ kind: 'read', segment: message.segment, rows: message.read.rows, lane: input.lane });
}

function handle(message: ToWorker): void | Promise<void> {
  switch (message.kind) {
    case 'pass': {
      if (metrics.length === 0) return; // setup failed: reported once
      failed = false;
      try {
        if (message.pending === null) {
          const folders = metricFolders(metrics);
          folderNames = folders.map((f) => f.name);
          fold = new SegmentFold(folders);
        } else {
          const merged = reviveClasses(message.merged ?? []);
          const pending = message.pending.map((m, k) => {
            const pass = (metrics[m] as NamedMetric).metric.nextPass?.(merged[k]) ?? null;
            if (pass === null) throw new Error(`metric '${(metrics[m] as NamedMetric).name}' planned no pass on this thread`);
            return { m, pass };
          });
          const folders = passFolders(metrics, pending);
          folderNames = folders.map((f) => f.name);
          // Pass states start as clones of the main thread's fresh ones (still tagged), sharing their SharedArrayBuffers.
          const seeds = message.seeds;
          if (seeds !== null && seeds.length !== folders.length) throw new Error(`pass job: ${seeds.length} seed states for ${folders.length} passes`);
          fold = new SegmentFold(seeds === null ? folders : folders.map((f, k) => ({ ...f, init: () => reviveClasses(structuredClone(seeds[k])) })));
        }
      } catch (err) {
        failed = true;
        post({ kind: 'error', index: -1, error: threadErrorOf('(pass setup)', err) });
      }
      return;
    }
    case 'batch':
      try {
        if (!failed && fold !== null) fold.update(message.columns, guard);
      } catch (err) {
        failed = true;
        const e = err instanceof StepError ? threadErrorOf(err.metric, err.failure) : threadErrorOf('(worker)', err);
        post({ kind: 'error', index: message.index, error: e });
      } finally {
        releaseCredit(input.gate, input.lane);
      }
      return;
    case 'read':
      return readSegment(message);
    case 'end':
      sendStates(message.segment);
      return;
    case 'refine':
      workOnRefine(message.job);
      return;
    case 'flush':
      if (message.segment !== null) {
        sendStates(message.segment);
        // An extra pass is over: drop its folders (and the pass store they reach) rather than hold them until the next pass.
        fold = null;
      }
      return files.close().then(() => post({ kind: 'flushed' }));
  }
}

/** Sends the open states as those of `segment` and starts fresh ones. */
function sendStates(segment: number): void {
  if (failed || fold === null) return;
  const { states, transfer } = fold.end();
  try {
    const untag = states.map((s, k) => tagClasses(s, folderNames[k] ?? '?', { keptRows: true }));
    post({ kind: 'segment', segment, states }, transfer);
    for (const u of untag) u();
  } catch (err) {
    if (err instanceof FuseflowError) {
      failed = true;
      post({ kind: 'error', index: -1, error: threadErrorOf('(worker)', err) });
      return;
    }
    failed = true;
    post({
      kind: 'error',
      index: -1,
      error: threadErrorOf('(worker)', new Error(`a metric state cannot be sent between threads: ${err instanceof Error ? err.message : String(err)}`)),
    });
  }
}

// A thread that exits (a metric calling process.exit, a fatal error) must not leave the reader waiting for credits.
process.on('exit', () => closeLane(input.gate, input.lane));

let chain: Promise<void> = setup;
port.on('message', (message: ToWorker) => {
  chain = chain
    .then(() => handle(message))
    .catch((err: unknown) => {
      // Only a fault of this module lands here; report it rather than leave the main thread waiting.
      failed = true;
      post({ kind: 'error', index: -1, error: threadErrorOf('(worker)', err) });
    });
});

/**
 * The logging stage (Lightning's loggers and progress bar): the run's `log.jsonl`, one JSON
 * line per finished epoch, appended through `core/safe-fs` (never through a link), and the
 * progress display — a frame after each step, a summary line after each epoch or interruption.
 */
import { appendFileNoFollow } from '../../core/safe-fs.js';
import type { MetricResults } from '../../eval/metric.js';
import { progressBar, type ProgressBar } from '../progress-bar.js';
import type { LoopState } from './loop-state.js';

/** A validation (or test) set's mean losses and metrics. */
export interface ValidationResult {
  readonly losses: Readonly<Record<string, number>>;
  readonly metrics: MetricResults;
}

/** One line of the JSONL log. */
export interface EpochLog {
  readonly epoch: number;
  readonly step: number;
  readonly lr: number;
  readonly train: { readonly losses: Readonly<Record<string, number>>; readonly samples: number; readonly samplesPerSecond: number; readonly dataWait: number };
  /** The validation set's losses and metrics (one unnamed set). */
  readonly validation?: ValidationResult;
  /** Each named validation set's losses and metrics (`fit`'s `validation` given as a record). */
  readonly validations?: Readonly<Record<string, ValidationResult>>;
  /** Values the callbacks logged this epoch. */
  readonly logged?: Readonly<Record<string, number>>;
  readonly monitor: number;
  readonly best: boolean;
}

/** Options of {@link epochLogger}. */
export interface EpochLoggerOptions {
  /** The JSONL log file (appended to, created if absent). Required. */
  readonly logPath: string;
  /** Epochs of the run (shown as `epoch e/epochs`). Required. */
  readonly epochs: number;
  /** The monitored key, named in each epoch's summary. Required. */
  readonly monitorKey: string;
  /**
   * Show progress on stderr (`true`), on the given display, or not at all (`false`). Default:
   * on stderr when it is a terminal.
   */
  readonly progress?: boolean | ProgressBar;
}

/** The run's log and progress display. */
export interface EpochLogger {
  /** A progress frame after a step: running mean loss, samples/s and data-wait share since the epoch began. */
  progress(state: LoopState, elapsedMs: number, waitMs: number): void;
  /** Appends the epoch's line to the log, then ends the progress line with the epoch's summary. */
  epoch(entry: EpochLog): void;
  /** Ends the progress line saying where the run was interrupted and which checkpoint holds it. */
  interrupted(epoch: number, step: number, lastPath: string): void;
}

/**
 * The logging stage of a run.
 * @example
 * const logger = epochLogger({ logPath: 'runs/a/log.jsonl', epochs: 10, monitorKey: 'validation.losses.total', progress: false });
 * logger.epoch(entry); // appends `${JSON.stringify(entry)}\n`
 * @throws {OutputError} (from `epoch`) naming the log when it cannot be appended to (a link, read-only, full).
 */
export function epochLogger(options: EpochLoggerOptions): EpochLogger {
  const { logPath, epochs, monitorKey } = options;
  const bar: ProgressBar | null =
    options.progress === false || (options.progress === undefined && process.stderr.isTTY !== true)
      ? null
      : options.progress === true || options.progress === undefined
        ? progressBar()
        : options.progress;
  return {
    progress(state, elapsedMs, waitMs) {
      const elapsed = elapsedMs / 1000;
      bar?.update({
        epoch: state.epoch,
        epochs,
        batches: state.batches,
        loss: (state.sums['total'] ?? 0) / state.batches,
        samplesPerSecond: state.samples / Math.max(elapsed, 1e-9),
        dataWait: waitMs / 1000 / Math.max(elapsed, 1e-9),
      });
    },
    epoch(entry) {
      appendFileNoFollow(logPath, `${JSON.stringify(entry)}\n`);
      bar?.done(
        `epoch ${entry.epoch + 1}/${epochs} loss ${(entry.train.losses['total'] ?? 0).toFixed(4)} ${monitorKey} ${entry.monitor.toFixed(4)}${entry.best ? ' (best)' : ''} ${entry.train.samplesPerSecond.toFixed(0)} samples/s data-wait ${(entry.train.dataWait * 100).toFixed(1)}%`,
      );
    },
    interrupted(epoch, step, lastPath) {
      bar?.done(`interrupted at epoch ${epoch + 1}, step ${step}; ${lastPath} holds the exact position (resume: true continues)`);
    },
  };
}

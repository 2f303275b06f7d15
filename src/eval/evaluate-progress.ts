/**
 * Progress of `evaluate` on long inputs: rows read and rows per second, reported at a bounded
 * rate.
 */
import { groupDigits } from '../core/group-digits.js';

/** One progress report. */
export interface EvalProgress {
  /** Pass number, from 1. */
  readonly pass: number;
  /** What the pass does. */
  readonly description: string;
  /** Rows read so far in this pass. */
  readonly rows: number;
  /** Milliseconds since the pass started. */
  readonly elapsedMs: number;
  /** Rows per second over the pass so far. */
  readonly rowsPerSecond: number;
  /** True for the report at the end of the pass. */
  readonly done: boolean;
}

/** Calls a progress callback at most every `intervalMs` and once at the end of each pass. */
export class ProgressMeter {
  readonly #onProgress: ((p: EvalProgress) => void) | undefined;
  readonly #intervalMs: number;
  #pass = 0;
  #description = '';
  #rows = 0;
  #start = 0;
  #last = 0;
  #ticked = false;

  constructor(onProgress: ((p: EvalProgress) => void) | undefined, intervalMs: number) {
    this.#onProgress = onProgress;
    this.#intervalMs = intervalMs;
  }

  start(pass: number, description: string): void {
    this.#pass = pass;
    this.#description = description;
    this.#rows = 0;
    this.#ticked = false;
    this.#start = performance.now();
    this.#last = this.#start;
  }

  tick(rows: number): void {
    // The clock starts at the first batch, so time spent before it (indexing joined inputs) does not count against the rate.
    if (this.#rows === 0 && !this.#ticked) {
      this.#ticked = true;
      this.#start = performance.now();
      this.#last = this.#start;
    }
    this.#rows += rows;
    if (this.#onProgress === undefined) return;
    const now = performance.now();
    if (now - this.#last >= this.#intervalMs) {
      this.#last = now;
      this.#report(now, false);
    }
  }

  finish(): void {
    if (this.#onProgress !== undefined) this.#report(performance.now(), true);
  }

  #report(now: number, done: boolean): void {
    const elapsedMs = now - this.#start;
    this.#onProgress?.({
      pass: this.#pass,
      description: this.#description,
      rows: this.#rows,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? (this.#rows * 1000) / elapsedMs : 0,
      done,
    });
  }
}

/**
 * One line describing a progress report.
 *
 * @example
 * formatProgress(p); // 'pass 1 (read and update metrics): 1,250,000 rows, 412,345 rows/s'
 */
export function formatProgress(p: EvalProgress): string {
  const rate = groupDigits(Math.round(p.rowsPerSecond));
  return `pass ${p.pass} (${p.description}): ${groupDigits(p.rows)} rows, ${rate} rows/s${p.done ? ', done' : ''}`;
}

/**
 * A progress callback that writes lines to `write` (the CLI passes stderr), staying silent for
 * passes that end before their first periodic report (short inputs print nothing).
 *
 * @example
 * await evaluate({ data, metrics, onProgress: progressPrinter((l) => process.stderr.write(`${l}\n`)) });
 */
export function progressPrinter(write: (line: string) => void): (p: EvalProgress) => void {
  let printing = false;
  return (p) => {
    if (p.done && !printing) return;
    printing = !p.done;
    write(formatProgress(p));
  };
}

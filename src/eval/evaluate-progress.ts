/**
 * Progress of `evaluate` on long inputs: rows read and rows per second, reported at a bounded
 * rate.
 */

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

  constructor(onProgress: ((p: EvalProgress) => void) | undefined, intervalMs: number) {
    this.#onProgress = onProgress;
    this.#intervalMs = intervalMs;
  }

  start(pass: number, description: string): void {
    this.#pass = pass;
    this.#description = description;
    this.#rows = 0;
    this.#start = performance.now();
    this.#last = this.#start;
  }

  tick(rows: number): void {
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

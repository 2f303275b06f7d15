/**
 * A one-line progress display on a text stream (stderr by default): epoch, batches, loss,
 * samples/s and the share of time spent waiting for data. Redraws in place on a terminal and
 * prints at most one line every `intervalMs` otherwise (logs stay readable).
 */

/** What one update shows. */
export interface ProgressFrame {
  readonly epoch: number;
  readonly epochs: number;
  readonly batches: number;
  /** Batches per epoch when known. */
  readonly total?: number;
  readonly loss: number;
  readonly samplesPerSecond: number;
  /** Fraction of wall time spent awaiting the next batch (0–1). */
  readonly dataWait: number;
}

/** A progress display. */
export interface ProgressBar {
  update(frame: ProgressFrame): void;
  /** Ends the current line (at epoch end). */
  done(summary?: string): void;
}

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Where to write. Default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Minimum milliseconds between redraws. Default 250 on a terminal, 10000 otherwise. */
  readonly intervalMs?: number;
}

/**
 * A progress bar.
 * @example const bar = progressBar(); bar.update({ epoch: 0, epochs: 5, batches: 10, total: 40, loss: 0.4, samplesPerSecond: 900, dataWait: 0.02 });
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 250 : 10_000);
  let last = 0;
  let drawn = false;
  const render = (f: ProgressFrame): string => {
    const width = 20;
    const frac = f.total !== undefined && f.total > 0 ? Math.min(1, f.batches / f.total) : undefined;
    const bar = frac === undefined ? '' : `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] `;
    const count = f.total !== undefined ? `${f.batches}/${f.total}` : `${f.batches}`;
    return `epoch ${f.epoch + 1}/${f.epochs} ${bar}${count} loss ${f.loss.toFixed(4)} ${f.samplesPerSecond.toFixed(0)} samples/s data-wait ${(f.dataWait * 100).toFixed(1)}%`;
  };
  return {
    update(frame) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      stream.write(tty ? `\r\x1b[2K${render(frame)}` : `${render(frame)}\n`);
      drawn = tty;
    },
    done(summary) {
      if (drawn) stream.write(summary === undefined ? '\n' : `\r\x1b[2K${summary}\n`);
      else if (summary !== undefined) stream.write(`${summary}\n`);
      drawn = false;
      last = 0;
    },
  };
}

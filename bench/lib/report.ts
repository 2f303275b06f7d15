/**
 * Shared benchmark reporting: every bench prints a readable table of medians (and ratios
 * against a baseline measured in the same run) and ends with one line of JSON with the same
 * figures.
 */
import os from 'node:os';

/** One row of a benchmark table. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Ratio against the baseline, when the row has one. */
  readonly ratio?: number;
  /** What the ratio compares against, e.g. `'vs hand loop'`. */
  readonly ratioOf?: string;
  /** The bar from the issue, e.g. `'<= 2'`, and whether it is met. */
  readonly bar?: string;
  readonly pass?: boolean;
  readonly note?: string;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Runs `fn` `repeats` times (awaiting what it returns, when a promise) and returns the wall-clock milliseconds of each run. */
export async function timeRuns(repeats: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A one-line description of this machine (cores, memory, Node version). */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toPrecision(3);
}

/** Prints the table, then one line of JSON: `{ bench, machine, rows }`. */
export function report(bench: string, rows: readonly BenchRow[], extra: Record<string, unknown> = {}): void {
  const header = ['measure', 'value', 'unit', 'ratio', 'bar', 'ok', 'note'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value),
    r.unit,
    r.ratio === undefined ? '' : `${fmt(r.ratio)}${r.ratioOf === undefined ? '' : ` ${r.ratioOf}`}`,
    r.bar ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  console.log(`\n${bench} — ${machine()}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
  console.log(JSON.stringify({ bench, machine: machine(), rows, ...extra }));
}

/**
 * Test helper: writes a set of binary-prediction Arrow files quickly (seeded), so map/merge tests
 * can evaluate 10^6 rows spread over many files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { Rng } from '../../../src/core/rng.js';

/** What {@link writePredictionFiles} writes. */
export interface PredictionFilesOptions {
  readonly files: number;
  readonly rows: number;
  /** Rows per Arrow record batch. */
  readonly batchRows: number;
  readonly seed: number;
  /** Add a string id column `id` (`s<row>`). Default false. */
  readonly ids?: boolean;
  /** File name prefix; default `part-`. */
  readonly prefix?: string;
  /** Write `pred` as float32 (the scores rounded to float32). Default false: float64. */
  readonly float32?: boolean;
}

/**
 * Writes `rows` rows of `pred` (float64 unless `float32`, a score correlated with the target; some ties) and
 * `target` (0/1) into `files` Arrow files `part-00.arrow`, … in `dir`; returns their paths.
 */
export function writePredictionFiles(dir: string, o: PredictionFilesOptions): string[] {
  const rng = Rng.fromParts([o.seed, 'prediction-files']);
  const paths: string[] = [];
  let row = 0;
  for (let f = 0; f < o.files; f++) {
    const n = Math.floor(((f + 1) * o.rows) / o.files) - Math.floor((f * o.rows) / o.files);
    const writer = new RecordBatchFileWriter();
    for (let start = 0; start < n; start += o.batchRows) {
      const m = Math.min(o.batchRows, n - start);
      const target = new Int8Array(m);
      const pred = o.float32 === true ? new Float32Array(m) : new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const y = rng.next() < 0.3 ? 1 : 0;
        target[i] = y;
        const p = Math.min(1, Math.max(0, 0.35 + (y === 1 ? 0.2 : -0.05) + 0.25 * (rng.next() - 0.5) * 2));
        // Every 10th score rounded to 2 decimals: ties across files and shards.
        pred[i] = i % 10 === 0 ? Math.round(p * 100) / 100 : p;
      }
      const columns: Record<string, Vector> = { pred: vectorFromArray(pred), target: vectorFromArray(target) };
      if (o.ids === true)
        columns['id'] = vectorFromArray(
          Array.from({ length: m }, (_, i) => `s${row + start + i}`),
          new Utf8(),
        );
      for (const rb of new Table(columns).batches) writer.write(rb);
    }
    writer.finish();
    const path = join(dir, `${o.prefix ?? 'part-'}${String(f).padStart(2, '0')}.arrow`);
    writeFileSync(path, writer.toUint8Array(true));
    paths.push(path);
    row += n;
  }
  return paths;
}

/** `xs` in a seeded random order (Fisher–Yates), e.g. shard files given to a merge in any order. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rng = Rng.fromParts([seed, 'shuffle']);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

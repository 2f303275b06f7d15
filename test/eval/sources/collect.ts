/** Test helper: reads a source once and returns its batches and concatenated columns. */
import type { EvalSource, SourceBatch } from '../../../src/eval/sources/eval-source.js';

export interface Collected {
  readonly batches: SourceBatch[];
  readonly columns: Record<string, unknown[]>;
}

export async function collect(source: EvalSource, batchSize = 1000): Promise<Collected> {
  const batches: SourceBatch[] = [];
  const columns: Record<string, unknown[]> = {};
  await source.scan(batchSize, (b) => {
    batches.push(b);
    for (const [k, col] of Object.entries(b.columns)) {
      const out = (columns[k] ??= []);
      for (let i = 0; i < col.length; i++) out.push(col[i]);
    }
  });
  return { batches, columns };
}

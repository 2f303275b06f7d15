/**
 * Runs passes of `evaluate` in this thread with states dealt by batch: batch k folds into state
 * k mod `shards`, and the shard states are merged in shard order at the end of the pass. This is
 * how `evaluate` runs metric objects (which cannot move to another thread); with `shards` = 1 it
 * is one state updated batch after batch.
 */
import { withOrigin } from '../evaluate-origin.js';
import type { PassRun, SegmentRunner } from './segment-runner.js';

/** A runner that folds batch k into shard state k mod `shards`. */
export function shardRunner(shards: number): SegmentRunner {
  return {
    threads: 0,
    async run(p: PassRun) {
      const states = p.folders.map((f) => Array.from({ length: shards }, () => f.init()));
      let k = 0;
      let rows = 0;
      p.meter.start(p.pass, p.description);
      await p.source.scan(p.batchSize, (batch) => {
        const shard = k % shards;
        p.folders.forEach((f, m) => {
          const row = states[m] as unknown[];
          row[shard] = withOrigin(f.name, batch.where, () => f.update(row[shard], batch.columns));
        });
        k++;
        rows += batch.length;
        p.meter.tick(batch.length);
      });
      p.meter.finish();
      const merged = states.map((row, m) => {
        let acc = row[0];
        for (let s = 1; s < row.length; s++) acc = (p.folders[m] as (typeof p.folders)[number]).merge(acc, row[s]);
        return acc;
      });
      return { rows, states: merged };
    },
    close: () => Promise.resolve(),
  };
}

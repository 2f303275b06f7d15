/**
 * `fuseflow demo` (what `npm start` runs): the end-to-end example on the in-repo data.
 */
import { runTabularStream } from '../demo/tabular-stream.js';

const HELP = `usage: fuseflow demo [--seed N]

Runs fuseflow end to end on the data shipped in the repository:
  1. the Wisconsin breast-cancer table streamed as keyed samples (read rows by id, z-score,
     one-hot) into class-balanced batches.`;

export async function run(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 0;
  if (!Number.isInteger(seed)) {
    console.error('fuseflow demo: --seed needs an integer');
    return 2;
  }
  const log = (line: string): void => console.log(line);
  const t0 = performance.now();
  log('== 1. tabular stream: breast cancer → keyed ops → balanced batches');
  await runTabularStream(log, { seed });
  log(`\ndemo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

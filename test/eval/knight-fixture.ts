/**
 * Test helper: FuseMedML's 60-case KNIGHT validation set (test/fixtures/eval/knight.csv, from
 * /work/shared/reference/fusemedml-eval-test-values.md §A) as columns, and written out as the
 * split prediction / target files FuseMedML's examples use.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KNIGHT_CSV = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/eval/knight.csv');

/** `fuseflow eval` arguments for the fixture's task 1: CanAT-score against task1_target. */
export const KNIGHT_TASK1_ARGS: readonly string[] = ['--input', KNIGHT_CSV, '--pred', 'CanAT-score', '--target', 'task1_target'];

const made: string[] = [];

/** Removes the temporary folders the writers below made. */
export function removeKnightFiles(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The fixture as columns of strings. */
export function knightColumns(): Record<string, string[]> {
  const [header, ...rows] = readFileSync(KNIGHT_CSV, 'utf8').trim().split('\n');
  const names = (header as string).split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const row of rows) row.split(',').forEach((v, i) => out[names[i] as string]?.push(v));
  return out;
}

/** Writes `preds.csv` (id, NoAT-score, CanAT-score; rows reversed) and `targets.csv` (id, Task1-target) to a temp folder. */
export function writeKnightSplit(): { dir: string; preds: string; targets: string } {
  const c = knightColumns();
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-knight-'));
  made.push(dir);
  const ids = c.id as string[];
  const order = ids.map((_, i) => ids.length - 1 - i);
  const preds = join(dir, 'preds.csv');
  const targets = join(dir, 'targets.csv');
  writeFileSync(preds, ['id,NoAT-score,CanAT-score', ...order.map((i) => `${ids[i]},${c['NoAT-score']?.[i]},${c['CanAT-score']?.[i]}`)].join('\n') + '\n');
  writeFileSync(targets, ['id,Task1-target', ...ids.map((id, i) => `${id},${c.task1_target?.[i]}`)].join('\n') + '\n');
  return { dir, preds, targets };
}

/** Writes FuseMedML's example_2 fold files (`fold0.csv`, `fold1.csv`: id, CanAT-score) to a temp folder. */
export function writeKnightFolds(): { fold0: string; fold1: string; targets: string } {
  const c = knightColumns();
  const { dir, targets } = writeKnightSplit();
  const ids = c.id as string[];
  const paths = [0, 1].map((f) => {
    const path = join(dir, `fold${f}.csv`);
    const rows = ids.flatMap((id, i) => (c.fold?.[i] === String(f) ? [`${id},${c['CanAT-score']?.[i]}`] : []));
    writeFileSync(path, ['id,CanAT-score', ...rows].join('\n') + '\n');
    return path;
  });
  return { fold0: paths[0] as string, fold1: paths[1] as string, targets };
}

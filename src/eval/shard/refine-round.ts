/**
 * Distributed refinement rounds of a map/merge evaluation. After merging a round's files, a metric
 * may ask for another pass over the input (exact AUC/AP refinement of score-histogram bins that
 * hold both classes). Instead of the merge reading every input itself, it writes a plan (a state
 * file of kind `plan`: the merged states before planning, the run record, the round); each shard
 * plans the same passes from it, folds its own share of the input and writes a `pass` file
 * (the pass states and the plan's checksum); the next merge checks the pass files ran that very
 * plan, merges the pass states in shard order and finishes them into the metric states, exactly
 * the states one process holds after the same pass. Planning is deterministic, so every process
 * derives the same passes from the same states.
 */
import { InputError } from '../../core/errors.js';
import type { NamedMetric } from '../evaluate-order.js';
import { finishPasses, planPasses } from '../evaluate-passes.js';
import { reviveClasses, tagClasses } from '../parallel/state-codec.js';
import { checkShardSet, runDifference, type ShardSet } from './shard-set.js';
import { readStateFile, type StateFile } from './state-file.js';

/** A round's pass files, checked, with the plan they ran. */
export interface PassSet {
  readonly set: ShardSet;
  readonly plan: StateFile;
  /** The round the pass files are of (2: the first extra pass). */
  readonly round: number;
}

/**
 * Checks that `files` (all of kind `pass`) are every shard of one round, ran the same plan, and
 * that the plan is still the file they ran (its checksum).
 * @throws InputError naming the file: a pass file of another plan or round, a plan that is
 *   missing, not a plan or changed since, and everything {@link checkShardSet} refuses.
 */
export function checkPassSet(files: readonly StateFile[]): PassSet {
  const first = files[0];
  if (first === undefined) throw new InputError('no state files to merge');
  const ref = first.header.plan;
  if (ref === undefined || typeof ref.path !== 'string' || typeof ref.digest !== 'string') throw new InputError('pass state file does not name its plan', { file: first.file });
  for (const f of files) {
    const p = f.header.plan;
    if (p?.path !== ref.path || p.digest !== ref.digest || f.header.round !== first.header.round)
      throw new InputError(
        `ran another plan than ${first.file} (${p?.path ?? 'none'} round ${String(f.header.round)}, checksum ${(p?.digest ?? '').slice(0, 12)}… vs ${ref.path} round ${String(first.header.round)}, ${ref.digest.slice(0, 12)}…); merge the pass files of one round`,
        { file: f.file },
      );
  }
  const set = checkShardSet(files);
  let plan: StateFile;
  try {
    plan = readStateFile(ref.path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new InputError(`the plan the pass files ran (recorded in ${first.file}) cannot be read: ${why}`, { file: ref.path });
  }
  if (plan.header.kind !== 'plan')
    throw new InputError(`is not a refinement plan (written by fuseflow eval merge --next-pass-out), but ${first.file} names it as one`, { file: ref.path });
  if (plan.digest !== ref.digest)
    throw new InputError(
      `changed since the pass shards ran it (checksum ${plan.digest.slice(0, 12)}… now, ${ref.digest.slice(0, 12)}… then); rerun the pass shards with this plan`,
      {
        file: ref.path,
      },
    );
  if (JSON.stringify(plan.header.run) !== JSON.stringify(set.run) || plan.header.shard.count !== set.shards.length)
    throw new InputError(`is the plan of another run than its pass files (${runDifference(plan.header.run, set.run)})`, { file: ref.path });
  return { set, plan, round: plan.header.round ?? 2 };
}

/**
 * The metric states after a round: plans each metric's pass from the plan's states (as every
 * shard did), merges the shards' pass states in shard order and folds them in (`finish`).
 * A complete plan's states come back as they are (their pass files hold nothing).
 * @throws InputError naming the plan when its metrics differ from `metrics`, or when the pass
 *   files hold other passes than the plan plans.
 */
export function finishRound(passes: PassSet, metrics: readonly NamedMetric[]): unknown[] {
  const { set, plan } = passes;
  checkMetricNames(plan, metrics);
  const states = plan.states;
  const { pending } = planPasses(metrics, states, false);
  const planned = pending.map(({ m }) => (metrics[m] as NamedMetric).name);
  if (JSON.stringify(planned) !== JSON.stringify(set.metrics))
    throw new InputError(
      `plans passes for ${planned.join(', ') || 'no metric'} but its pass files hold passes for ${set.metrics.join(', ') || 'no metric'} (written by another fuseflow version?)`,
      { file: plan.file },
    );
  const merged = pending.map(({ pass }, k) => {
    let acc: unknown = undefined;
    set.shards.forEach((s, i) => {
      acc = i === 0 ? s.states[k] : pass.merge(acc, s.states[k]);
    });
    return acc;
  });
  return finishPasses(states, pending, merged);
}

/**
 * Refuses a plan whose metric names differ from `metrics` (evaluation order).
 * @throws InputError naming the plan file.
 */
export function checkMetricNames(plan: StateFile, metrics: readonly NamedMetric[]): void {
  const names = metrics.map((m) => m.name);
  if (JSON.stringify(names) !== JSON.stringify(plan.header.metrics))
    throw new InputError(`holds metrics ${plan.header.metrics.join(', ')} but its recorded arguments give ${names.join(', ')} (written by another fuseflow version?)`, {
      file: plan.file,
    });
}

/**
 * A deep copy of metric states that keeps the classes the state files know (exact sums), so the
 * copy encodes as the original does; `names` name the metrics in messages.
 * @throws FuseflowError for a state holding an instance of another class.
 */
export function copyStates(states: readonly unknown[], names: readonly string[]): unknown[] {
  return states.map((s, m) => {
    const untag = tagClasses(s, names[m] ?? String(m));
    try {
      return reviveClasses(structuredClone(s));
    } finally {
      untag();
    }
  });
}

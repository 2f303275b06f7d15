/**
 * The planning and finishing halves of an extra pass (the refinement passes metrics ask for with
 * `nextPass`), shared by {@link evaluateStates}'s pass loop, one shard's pass of a distributed
 * refinement round and the merge that finishes the round: whoever plans from the same merged
 * states gets the same passes, so the pass states folded in several processes finish the states
 * one process would hold.
 */
import { FuseflowError } from '../core/errors.js';
import type { NamedMetric } from './evaluate-order.js';
import type { MetricPass } from './metric.js';

/** A metric's planned pass: the metric's index in evaluation order and the pass. */
export interface PendingPass {
  readonly m: number;
  readonly pass: MetricPass<unknown>;
}

/** What {@link planPasses} returns. */
export interface PlannedPasses {
  /** The metrics that asked for another pass, in metric order. */
  readonly pending: readonly PendingPass[];
  /**
   * With `snapshot`: the states of the pending metrics as they were before planning (planning may
   * mark a state, e.g. bins too large to refine), one per pending pass — what another thread or
   * process plans the same passes from. Otherwise empty.
   */
  readonly before: readonly unknown[];
}

/**
 * Plans each metric's next pass from `states` (one per metric, in `metrics` order, after the
 * previous pass). Planning may change a state (as in one run); with `snapshot` the pending
 * metrics' states are copied first. Static (no randomness).
 *
 * @example
 * const { pending } = planPasses(metrics, merged, false);
 * if (pending.length === 0) // done: compute the results
 */
export function planPasses(metrics: readonly NamedMetric[], states: readonly unknown[], snapshot: boolean): PlannedPasses {
  const pending: PendingPass[] = [];
  const before: unknown[] = [];
  metrics.forEach(({ metric }, m) => {
    const copy = snapshot && metric.nextPass !== undefined ? structuredClone(states[m]) : undefined;
    const pass = metric.nextPass?.(states[m]) ?? null;
    if (pass === null) return;
    pending.push({ m, pass });
    if (snapshot) before.push(copy);
  });
  return { pending, before };
}

/** The pending metrics' names, quoted and comma-separated, for messages. */
export function pendingNames(metrics: readonly NamedMetric[], pending: readonly PendingPass[]): string {
  return pending.map(({ m }) => `'${(metrics[m] as NamedMetric).name}'`).join(', ');
}

/**
 * Folds finished pass states (one per pending pass, each merged over every part of the input)
 * into the metric states: a new array, the states of metrics without a pass kept.
 * @throws FuseflowError when the number of pass states differs from the pending passes.
 */
export function finishPasses(states: readonly unknown[], pending: readonly PendingPass[], passStates: readonly unknown[]): unknown[] {
  if (passStates.length !== pending.length) throw new FuseflowError(`finishPasses: ${passStates.length} pass states for ${pending.length} pending passes`);
  const out = states.slice();
  pending.forEach(({ m, pass }, k) => {
    out[m] = pass.finish(out[m], passStates[k]);
  });
  return out;
}

/**
 * Runs the extra passes of several metric states at once, as one pass: used by the wrappers
 * (one-vs-rest, group-by, bootstrap) that hold one inner state per class, group or replicate.
 */
import type { EvalBatch, Metric, MetricPass } from '../metric.js';

/** Per part: the batch it sees (or null to skip it). */
export type Router = (batch: EvalBatch, part: number) => EvalBatch | null;

/**
 * The combined next pass of `states[i]` under `metrics[i]`, or null when no part needs one.
 * Parts that need no pass keep their state.
 */
export function composePasses<S>(metrics: readonly Metric<S, unknown>[], states: readonly S[], route: Router, description: string): MetricPass<S[]> | null {
  const passes = states.map((s, i) => (metrics[i] as Metric<S, unknown>).nextPass?.(s) ?? null);
  if (passes.every((p) => p === null)) return null;
  const pass: MetricPass<S[], unknown[]> = {
    description: `${description}: ${passes
      .filter((p) => p !== null)
      .map((p) => p?.description)
      .join('; ')}`,
    init: () => passes.map((p) => (p === null ? null : p.init())),
    update(ps, batch) {
      passes.forEach((p, i) => {
        if (p === null) return;
        const b = route(batch, i);
        if (b !== null) ps[i] = p.update(ps[i], b);
      });
      return ps;
    },
    merge: (a, b) =>
      a.map((x, i) => {
        const p = passes[i];
        return p === null || p === undefined ? null : p.merge(x, b[i]);
      }),
    finish: (ss, ps) =>
      ss.map((s, i) => {
        const p = passes[i];
        return p === null || p === undefined ? s : p.finish(s, ps[i]);
      }),
  };
  return pass;
}

/** Identity router: every part sees the whole batch. */
/**
 * {@link composePasses} for a metric whose state `T` holds the inner states: `parts(state)` lists
 * them (in the order of `metrics`) and `rebuild(state, finished)` puts the finished ones back.
 * Null when no inner metric needs a pass.
 */
export function liftPasses<T, S>(
  metrics: readonly Metric<S, unknown>[],
  state: T,
  parts: (state: T) => S[],
  rebuild: (state: T, finished: S[]) => T,
  route: Router,
  description: string,
): MetricPass<T> | null {
  const p = composePasses(metrics, parts(state), route, description);
  if (p === null) return null;
  return {
    description: p.description,
    init: () => p.init(),
    update: (ps, batch) => p.update(ps, batch),
    merge: (a, b) => p.merge(a, b),
    finish: (s, ps) => rebuild(s, p.finish(parts(s), ps)),
  };
}

export const everyPart: Router = (batch) => batch;

/**
 * Names the metrics given to `evaluate` and orders them so each is computed after the metrics
 * whose results it reads (`dependsOn`).
 */
import type { Metric } from './metric.js';
import { OptionsError } from '../core/errors.js';

/** A metric with the name its result is stored under. */
export interface NamedMetric {
  readonly name: string;
  readonly metric: Metric;
}

/**
 * Names metrics (record keys, or each metric's `name` for a list) and sorts them by dependency,
 * keeping the given order otherwise.
 *
 * @example
 * orderMetrics({ acc: accuracy({ pred: 'p', target: 't' }) }); // [{ name: 'acc', metric }]
 * @throws OptionsError for no metrics, a duplicate name, an unknown dependency or a cycle.
 */
export function orderMetrics(metrics: Readonly<Record<string, Metric>> | readonly Metric[]): NamedMetric[] {
  const named: NamedMetric[] = Array.isArray(metrics)
    ? (metrics as readonly Metric[]).map((metric) => ({ name: metric.name, metric }))
    : Object.entries(metrics as Readonly<Record<string, Metric>>).map(([name, metric]) => ({ name, metric }));
  if (named.length === 0) throw new OptionsError('evaluate: no metrics given');
  const byName = new Map<string, NamedMetric>();
  for (const m of named) {
    if (typeof m.metric?.init !== 'function' || typeof m.metric.update !== 'function' || typeof m.metric.compute !== 'function') {
      throw new OptionsError(`evaluate: '${m.name}' is not a metric (needs init, update, merge, compute)`);
    }
    if (byName.has(m.name)) throw new OptionsError(`evaluate: two metrics are named '${m.name}'`);
    byName.set(m.name, m);
  }
  const out: NamedMetric[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: NamedMetric, path: readonly string[]): void => {
    const s = state.get(m.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new OptionsError(`evaluate: metrics depend on each other in a cycle: ${[...path, m.name].join(' -> ')}`);
    state.set(m.name, 'visiting');
    for (const dep of m.metric.dependsOn ?? []) {
      const d = byName.get(dep);
      if (d === undefined) throw new OptionsError(`evaluate: metric '${m.name}' depends on '${dep}', which is not among the metrics (${[...byName.keys()].join(', ')})`);
      visit(d, [...path, m.name]);
    }
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of named) visit(m, []);
  return out;
}

/**
 * A metric computed from other metrics' results (no state of its own): FuseMedML's
 * `"results:metrics.<name>"` references, e.g. an F1 from a confusion result or the gap between
 * two models' AUCs. `evaluate` computes the metrics it depends on first.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric, MetricResults } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';

/** Options of `derivedMetric`. */
export interface DerivedMetricOptions<R> {
  /** Result name. */
  readonly name: string;
  /** Names of the results `compute` reads. */
  readonly dependsOn: readonly string[];
  /** The result from the others' results (each present, by name). */
  readonly compute: (results: MetricResults) => R;
}

/**
 * A stateless metric over other results.
 *
 * Reads the results named in `dependsOn`; writes `compute(results)` under `name`. Static.
 *
 * @example
 * derivedMetric({ name: 'auc_gap', dependsOn: ['auc_a', 'auc_b'], compute: (r) => (r['auc_a'] as number) - (r['auc_b'] as number) });
 * @throws OptionsError on bad options; MetricInputError when a dependency's result is missing.
 */
export function derivedMetric<R>(options: DerivedMetricOptions<R>): Metric<null, R> {
  if (typeof options.name !== 'string' || options.name === '') throw new OptionsError('derivedMetric: name must be a non-empty string');
  if (!Array.isArray(options.dependsOn) || options.dependsOn.length === 0) throw new OptionsError('derivedMetric: dependsOn must list at least one result name');
  if (typeof options.compute !== 'function') throw new OptionsError('derivedMetric: compute must be a function');
  return {
    name: options.name,
    dependsOn: options.dependsOn,
    init: () => null,
    update: (s) => s,
    merge: (a) => a,
    compute(_state, results) {
      for (const d of options.dependsOn)
        if (!(d in results)) throw new MetricInputError(options.name, `needs the result of '${d}', which is not computed (results: ${Object.keys(results).join(', ') || 'none'})`);
      return options.compute(results);
    },
  };
}

/**
 * Metrics that a worker thread can rebuild. A metric is an object of functions (closures), which
 * cannot be sent to another thread; a recipe names an ES module, one of its exported functions
 * and plain-data arguments, and every thread calls that function to build its own copy of the
 * same metrics — as Python's multiprocessing needs picklable top-level functions.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';

/** The metrics `evaluate` takes: by result name, or a list (each named by its `name`). */
export type MetricSet = Readonly<Record<string, Metric>> | readonly Metric[];

/**
 * A recipe for a {@link MetricSet}: `(await import(module))[exportName](...args)`.
 *
 * @example
 * // metrics.ts: export function rankingMetrics(keys) { return { auc: auc(keys), aucpr: aucPr(keys) }; }
 * const recipe: MetricsRecipe = { module: new URL('./metrics.js', import.meta.url).href, exportName: 'rankingMetrics', args: [{ pred: 'p', target: 'y' }] };
 */
export interface MetricsRecipe {
  /** A `file:` URL or an absolute path of an ES module. */
  readonly module: string;
  /** Name of the exported function that returns the metric set (it may return a promise of one). */
  readonly exportName: string;
  /** Arguments of that function: plain data (structured-cloneable; no functions). Default none. */
  readonly args?: readonly unknown[];
}

/** True when `x` is a {@link MetricsRecipe} rather than a metric set. */
export function isMetricsRecipe(x: unknown): x is MetricsRecipe {
  return (
    x !== null &&
    typeof x === 'object' &&
    !Array.isArray(x) &&
    typeof (x as { module?: unknown }).module === 'string' &&
    typeof (x as { exportName?: unknown }).exportName === 'string'
  );
}

/**
 * Builds the metric set of `recipe` in this thread.
 * @throws OptionsError when the module cannot be imported, lacks the export, or the export does
 *   not return a metric set.
 */
export async function metricsFromRecipe(recipe: MetricsRecipe): Promise<MetricSet> {
  const url = isAbsolute(recipe.module) ? pathToFileURL(recipe.module).href : recipe.module;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new OptionsError(`metrics recipe: cannot import ${recipe.module}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const make = mod[recipe.exportName];
  if (typeof make !== 'function') throw new OptionsError(`metrics recipe: ${recipe.module} has no exported function '${recipe.exportName}'`);
  const made: unknown = await (make as (...a: unknown[]) => unknown)(...(recipe.args ?? []));
  if (made === null || typeof made !== 'object')
    throw new OptionsError(`metrics recipe: ${recipe.exportName}(…) of ${recipe.module} returned ${String(made)}, not metrics (a record by name or a list)`);
  return made as MetricSet;
}

import { flatten } from '../../core/sample.js';
import { isTensor } from '../../core/tensor.js';
import { defineOp } from '../registry.js';
import { describeValue } from '../values.js';
import { debugFilter, validateDebug, type DebugFilter, type DebugFilterOptions } from './debug-filter.js';

/** Options of {@link printShapes}. */
export interface PrintShapesOptions extends DebugFilterOptions {
  /** Also list string and number leaves. Default `false`. */
  readonly includeScalars?: boolean;
}

/**
 * Prints each tensor's dtype and shape (FuseMedML's OpPrintShapes) for the first N samples or
 * given ids; passes the sample through unchanged. Static.
 * @example printShapes({ ids: ['case_1'] })
 * @throws {OptionsError} when it would print nothing.
 */
export const printShapes = defineOp<PrintShapesOptions, DebugFilter>({
  name: 'debug.printShapes',
  version: 1,
  kind: 'static',
  validate: (o) => validateDebug('debug.printShapes', o),
  prepare: (o) => debugFilter(o),
  apply: (sample, ctx, o, filter) => {
    if (!filter.wants(ctx.sampleId)) return sample;
    const lines: string[] = [];
    for (const [k, v] of Object.entries(flatten(sample))) {
      if (isTensor(v)) lines.push(`${k}: ${v.dtype}[${v.shape.join(',')}]`);
      else if (o.includeScalars === true || Array.isArray(v)) lines.push(`${k}: ${describeValue(v)}`);
    }
    filter.print(`[${ctx.opId}] sample '${ctx.sampleId}' shapes:\n  ${lines.join('\n  ')}`);
    return sample;
  },
});

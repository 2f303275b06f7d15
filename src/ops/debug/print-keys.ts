import { keyPaths } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { debugFilter, validateDebug, type DebugFilter, type DebugFilterOptions } from './debug-filter.js';

/** Options of {@link printKeys}. */
export type PrintKeysOptions = DebugFilterOptions;

/**
 * Prints a sample's key paths (FuseMedML's OpPrintKeys) for the first N samples or given ids;
 * passes the sample through unchanged. Static.
 * @example printKeys({ first: 2 })
 * @throws {OptionsError} when it would print nothing.
 */
export const printKeys = defineOp<PrintKeysOptions, DebugFilter>({
  name: 'debug.printKeys',
  version: 1,
  kind: 'static',
  validate: (o) => validateDebug('debug.printKeys', o),
  prepare: (o) => debugFilter(o),
  apply: (sample, ctx, _o, filter) => {
    if (filter.wants(ctx.sampleId)) filter.print(`[${ctx.opId}] sample '${ctx.sampleId}' keys:\n  ${keyPaths(sample).join('\n  ')}`);
    return sample;
  },
});

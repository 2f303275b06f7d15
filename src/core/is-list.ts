/**
 * `Array.isArray` that narrows to `readonly unknown[]` instead of `any[]`: a value declared as
 * `readonly string[]` (options, a parsed header) keeps its element type once checked, and an
 * unknown value becomes a list of unknowns, which the caller must still check one by one.
 * @example
 * if (!isList(options.columns)) throw new OptionsError('columns must be a list');
 */
export function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/**
 * Checks the builders share: sizes and spacings given as tuples, the `case_XXXXX` folders of a
 * layout, and which ids a build uses (the ones asked for, or every one found with a record).
 */
import { readdirSync } from 'node:fs';
import { InputError, OptionsError } from '../../core/errors.js';

/** A case folder or file stem of KNIGHT and KiTS: `case_` and digits. */
export const CASE_ID = /^case_\d+$/;

/**
 * Checks that option `field` of `builder` holds `axes.length` positive (integer, when `integer`) numbers.
 * @example checkSizes('knight', 'spacing', [1.6, 1.6, 4], ['x', 'y', 'z'], false);
 * @throws {OptionsError} e.g. "knight: option 'size' must be 3 positive integers (x, y, z), got [8,8,0.5]".
 */
export function checkSizes(builder: string, field: string, value: unknown, axes: readonly string[], integer: boolean): void {
  const ok = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x));
  if (!Array.isArray(value) || value.length !== axes.length || !value.every(ok)) {
    throw new OptionsError(`${builder}: option '${field}' must be ${axes.length} positive ${integer ? 'integers' : 'numbers'} (${axes.join(', ')}), got ${JSON.stringify(value)}`);
  }
}

/** The `case_XXXXX` folders directly in `root` (unsorted). */
export function caseFolders(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() && CASE_ID.test(e.name) ? [e.name] : []));
}

/** What {@link chooseIds} needs. */
export interface ChooseIdsOptions {
  /** The builder's name, for messages. */
  readonly builder: string;
  /** The `ids` option, when given: used as it is (order kept). */
  readonly asked: readonly string[] | undefined;
  /** Ids found in the layout; used, sorted, when `asked` is not given and `known` has them. */
  readonly found: Iterable<string>;
  /** The ids the label / clinical table has a record for. */
  readonly known: { has(id: string): boolean };
  /** What an id is, for messages: `'a case'`, `'an image'`. */
  readonly noun: string;
  /** The error when no id is left. */
  readonly none: () => InputError;
}

/**
 * The ids of a build: `asked` as given, else every found id with a record, sorted.
 * @throws {InputError} (`none()`) when there is none; {@link OptionsError} when `asked` lists an id twice.
 */
export function chooseIds(o: ChooseIdsOptions): string[] {
  const ids = o.asked === undefined ? [...o.found].filter((id) => o.known.has(id)).sort() : [...o.asked];
  if (ids.length === 0) throw o.none();
  if (new Set(ids).size !== ids.length) throw new OptionsError(`${o.builder}: option ids lists ${o.noun} twice`);
  return ids;
}

/**
 * Validation and test sets of a run (Lightning's several validation dataloaders): `fit` takes one
 * set (a function returning batches, named `validation` / `test`) or several named ones
 * (`{ internal: …, external: … }`), logged per name under `validations.<name>`; a monitored key
 * names the set it reads. This unit turns the option into a list and checks monitored keys
 * against it.
 */
import { OptionsError } from '../../core/errors.js';
import type { Sample } from '../../core/sample.js';
import { defaultMonitor, type Monitor } from './monitor.js';

/** Batches of one set, called once per pass. */
export type SetData = () => AsyncIterable<Sample>;

/** The option: one set, or named sets. */
export type SetsOption = SetData | Readonly<Record<string, SetData>>;

/** The sets as a list; `named` when the option was a record. */
export interface NamedSets {
  readonly named: boolean;
  readonly list: readonly (readonly [string, SetData])[];
}

/**
 * The sets of a `validation` or `test` option: one function is the set `validation` / `test`.
 * @example namedSets({ a: dataA, b: dataB }, 'validation'); // { named: true, list: [['a', dataA], ['b', dataB]] }
 * @throws {OptionsError} for an empty record, a name other than letters, digits, `_`, `-`, or a value that is not a function.
 */
export function namedSets(data: SetsOption | undefined, what: 'validation' | 'test'): NamedSets | null {
  if (data === undefined) return null;
  if (typeof data === 'function') return { named: false, list: [[what, data]] };
  const list = Object.entries(data);
  if (list.length === 0) throw new OptionsError(`fit: ${what} names no set (give a function or { name: () => batches, … })`);
  for (const [name, fn] of list) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new OptionsError(`fit: ${what} set name must be letters, digits, '_' or '-', got ${JSON.stringify(name)}`);
    if (typeof fn !== 'function') throw new OptionsError(`fit: ${what} set '${name}' must be a function returning batches`);
  }
  return { named: true, list };
}

/**
 * The monitor when none is given: the first named set's total loss, or {@link defaultMonitor}'s.
 * @example monitorFor({ ext: data }); // { key: 'validations.ext.losses.total', mode: 'min' }
 */
export function monitorFor(validation: SetsOption | undefined): Monitor {
  return defaultMonitor(validation !== undefined, validation !== undefined && typeof validation !== 'function' ? Object.keys(validation)[0] : undefined);
}

/**
 * Checks that a monitored key names a validation set the run has.
 * @throws {OptionsError} naming the key (`what` is the option it came from) and the sets there are.
 */
export function checkMonitorKey(key: string, sets: NamedSets | null, what: string): void {
  if (key.startsWith('validation.') && (sets === null || sets.named)) {
    throw new OptionsError(
      sets === null
        ? `fit: ${what} '${key}' needs a validation set`
        : `fit: ${what} '${key}': the validation sets are named; monitor 'validations.<name>.…' (${sets.list.map(([n]) => n).join(', ')})`,
    );
  }
  if (key.startsWith('validations.')) {
    const name = key.split('.')[1] ?? '';
    if (sets === null || !sets.named || !sets.list.some(([n]) => n === name)) {
      throw new OptionsError(
        `fit: ${what} '${key}' names validation set '${name}', which this run does not have (${sets?.named === true ? sets.list.map(([n]) => n).join(', ') : 'no named sets'})`,
      );
    }
  }
}

/**
 * The monitored value (Lightning's `monitor`): the number in an epoch's log entry that picks
 * `best.ckpt` and drives early stopping, named by a dotted key into the entry.
 */
import { OptionsError } from '../../core/errors.js';
import type { EpochLog } from './epoch-logger.js';

/** A monitored key and whether smaller or larger values are better. */
export interface Monitor {
  readonly key: string;
  readonly mode: 'min' | 'max';
}

/**
 * The monitor fit uses when none is given: the validation loss with a validation set (with named
 * sets, the first set's: `validations.<name>.losses.total`), else the training loss; smaller is better.
 * @example defaultMonitor(true); // { key: 'validation.losses.total', mode: 'min' }
 */
export function defaultMonitor(hasValidation: boolean, firstSet?: string): Monitor {
  if (firstSet !== undefined) return { key: `validations.${firstSet}.losses.total`, mode: 'min' };
  return { key: hasValidation ? 'validation.losses.total' : 'train.losses.total', mode: 'min' };
}

/**
 * The value at `key` in an epoch's entry: a number, or an object's `org` field (a metric with a
 * confidence interval).
 * @example monitorValue('validation.metrics.auc', entry); // entry.validation.metrics.auc.org
 * @throws {OptionsError} naming the key when the value there is not a number.
 */
export function monitorValue(key: string, entry: Pick<EpochLog, 'train' | 'validation' | 'validations' | 'logged'>): number {
  const parts = key.split('.');
  let node: unknown = entry;
  for (const p of parts) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[p] : undefined;
  if (typeof node === 'object' && node !== null && 'org' in node) node = node.org;
  if (typeof node !== 'number') throw new OptionsError(`fit: monitored value '${key}' is not a number after the epoch (got ${JSON.stringify(node)})`);
  return node;
}

/**
 * Reverse information: what a reversible spatial op did to each key, stored in the sample under
 * the op id (FuseMedML's `sample_dict[op_id]`) as plain data, so it survives caching and worker
 * threads. `reverse(sample, { keyToReverse, keyToFollow, opId })` reads the entry of
 * `keyToFollow` and undoes the same move on `keyToReverse`.
 */
import { TypeMismatchError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { getOr, sampleIdOf, setKey, type Sample } from '../../../core/sample.js';
import { imageAt } from './image-access.js';

/** The record an op leaves at its op id. */
export interface ReverseRecord<E> {
  readonly op: string;
  readonly keys: readonly string[];
  /** One entry per key (`null` where the op left the key alone, e.g. a random op not applied). */
  readonly entries: readonly (E | null)[];
}

/** A new sample with the op's record at `opId`. */
export function recordReverse<E>(sample: Sample, opId: string, record: ReverseRecord<E> & { readonly [extra: string]: unknown }): Sample {
  return setKey(sample, opId, record);
}

/**
 * The entry recorded for `keyToFollow`, or `undefined` when the op did nothing to it.
 * @throws {TypeMismatchError} when no record of `op` sits at `opId`.
 */
export function reverseEntry<E>(sample: Sample, opId: string, op: string, keyToFollow: string): E | undefined {
  const record = getOr<ReverseRecord<E> | undefined>(sample, opId, undefined);
  if (record === undefined || record.op !== op || !Array.isArray(record.keys)) {
    throw new TypeMismatchError(`sample '${sampleIdOf(sample)}' has no reverse information of op '${op}' at '${opId}'`);
  }
  const i = record.keys.indexOf(keyToFollow);
  if (i < 0) return undefined;
  return record.entries[i] ?? undefined;
}

/**
 * The usual reverse: when an entry exists for `keyToFollow`, replace the image at
 * `keyToReverse` by `undo(image, entry)`; otherwise return the sample unchanged.
 */
export function reverseWith<E>(
  sample: Sample,
  info: { readonly keyToReverse: string; readonly keyToFollow: string; readonly opId: string },
  op: string,
  undo: (img: Image, entry: E) => Image,
): Sample {
  const entry = reverseEntry<E>(sample, info.opId, op, info.keyToFollow);
  if (entry === undefined) return sample;
  return setKey(sample, info.keyToReverse, undo(imageAt(sample, info.keyToReverse), entry));
}

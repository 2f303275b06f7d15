/**
 * What the replica pool makes of its participants' slice results: the batch's loss values (the
 * slices' row-weighted sum, in participant order, so the same for any run with the same thread
 * count) and the replicas' replies checked for failures.
 */
import { FuseflowError } from '../../core/errors.js';
import type { ReplicaReply } from './replica-protocol.js';
import type { SliceLoss } from './slice-gradients.js';

/** A replica's successful reply. */
export type ReplicaDone = Extract<ReplicaReply, { kind: 'done' }>;

/**
 * The batch's total loss and each of its `lossCount` losses: `Σ shares[k] · slices[k]`, summed in
 * participant order (`shares`: each slice's rows / the batch's).
 * @example lossOf([0.5, 0.5], [{ total: 1, terms: [1] }, { total: 3, terms: [3] }], 1) // { total: 2, terms: [2] }
 * @throws {Error} when a share has no slice result.
 */
export function lossOf(shares: readonly number[], slices: readonly SliceLoss[], lossCount: number): { total: number; terms: number[] } {
  let total = 0;
  const terms = new Array<number>(lossCount).fill(0);
  shares.forEach((w, k) => {
    const r = slices[k];
    if (r === undefined) throw new Error(`replica pool: no loss values from participant ${k}`);
    total += w * r.total;
    r.terms.forEach((t, j) => (terms[j] = (terms[j] ?? 0) + w * t));
  });
  return { total, terms };
}

/**
 * The replies, once each is `done`.
 * @example const done = doneOf(await Promise.all(asked));
 * @throws {FuseflowError} with the first failed replica's message (or the kind it answered instead).
 */
export function doneOf(replies: readonly ReplicaReply[]): ReplicaDone[] {
  const failed = replies.find((r) => r.kind !== 'done');
  if (failed !== undefined) throw new FuseflowError(failed.kind === 'error' ? failed.message : `a replica answered '${failed.kind}'`);
  return replies as ReplicaDone[];
}

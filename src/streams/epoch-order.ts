/**
 * Epoch order and sharding: pure functions of `(ids, epoch, seed, rank, worldSize)`, so every
 * rank computes its own share without talking to the others, and a resumed run sees the same
 * order as the interrupted one.
 */
import { OptionsError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** Options of {@link epochOrder}. */
export interface EpochOrderOptions {
  readonly epoch: number;
  readonly seed: number;
  /** Permute the ids (a fresh permutation each epoch). Default true. */
  readonly shuffle?: boolean;
}

/**
 * The epoch's order of `ids`: a seeded permutation drawn from `Rng.fromParts([seed, epoch,
 * 'order'])`, or the ids as given when `shuffle` is false. Never modifies `ids`.
 * @example
 * epochOrder(['a', 'b', 'c'], { epoch: 0, seed: 1 }); // the same permutation on every machine
 */
export function epochOrder<T>(ids: readonly T[], options: EpochOrderOptions): T[] {
  if (options.shuffle === false) return [...ids];
  const perm = Rng.fromParts([options.seed, options.epoch, 'order']).permutation(ids.length);
  const out = new Array<T>(ids.length);
  for (let i = 0; i < perm.length; i++) out[i] = ids[perm[i] as number] as T;
  return out;
}

/** A rank's place among `worldSize` data-parallel ranks. */
export interface Shard {
  /** This rank, `0 ≤ rank < worldSize`. */
  readonly rank: number;
  /** Number of ranks, at least 1. */
  readonly worldSize: number;
}

/**
 * Checks a shard.
 * @throws {OptionsError} when rank or worldSize is not an integer in range.
 */
export function validateShard(shard: Shard): void {
  const { rank, worldSize } = shard;
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new OptionsError(`shard.worldSize must be a positive integer, got ${String(worldSize)}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new OptionsError(`shard.rank must be an integer in [0, ${worldSize - 1}], got ${String(rank)}`);
  }
}

/**
 * This rank's part of an epoch order: the positions `rank, rank + worldSize, rank + 2·worldSize,
 * …` (strided, like PyTorch's DistributedSampler without padding), or with `blockSize` > 1 the
 * blocks of `blockSize` consecutive positions taken the same way (whole batches per rank). The
 * union over all ranks is every position exactly once. Uneven shards: when the order does not
 * divide evenly, the first ranks get one more item (or block; the last block may be short);
 * nothing is repeated or dropped. Data-parallel training that needs equal step counts per rank
 * can stop every rank after `Math.floor(order.length / worldSize)` items.
 * @example
 * shardOf(['a', 'b', 'c', 'd', 'e'], { rank: 1, worldSize: 2 }); // ['b', 'd']
 * shardOf(['a', 'b', 'c', 'd', 'e'], { rank: 0, worldSize: 2 }, 2); // ['a', 'b', 'e']
 * @throws {OptionsError} for a bad shard or block size.
 */
export function shardOf<T>(order: readonly T[], shard: Shard, blockSize = 1): T[] {
  validateShard(shard);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new OptionsError(`shard block size must be a positive integer, got ${String(blockSize)}`);
  if (shard.worldSize === 1) return [...order];
  if (blockSize === 1) {
    const out = new Array<T>(Math.max(0, Math.ceil((order.length - shard.rank) / shard.worldSize)));
    for (let i = shard.rank, k = 0; i < order.length; i += shard.worldSize, k++) out[k] = order[i] as T;
    return out;
  }
  const out: T[] = [];
  const stride = blockSize * shard.worldSize;
  for (let b = shard.rank * blockSize; b < order.length; b += stride) {
    const end = Math.min(b + blockSize, order.length);
    for (let i = b; i < end; i++) out.push(order[i] as T);
  }
  return out;
}

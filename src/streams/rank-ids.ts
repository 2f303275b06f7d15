/**
 * One rank's ids of an epoch, by position: the seeded order of `epochOrder` + `shardOf` for ids
 * in memory (unchanged, so runs and resume states from before id columns stay exact), and for an
 * {@link IdColumn} a computed permutation of row indices (`indexPermutation`) sharded by the same
 * strided rule, decoding an id only when its position is asked for.
 */
import { epochOrder, shardOf, validateShard, type Shard } from './epoch-order.js';
import { isIdColumn, type SampleIds } from '../core/ids/id-column.js';
import { indexPermutation } from './index-permutation.js';
import { OptionsError } from '../core/errors.js';

/** Options of {@link rankIds}. */
export interface RankIdsOptions {
  readonly epoch: number;
  readonly seed: number;
  /** Default true. */
  readonly shuffle?: boolean;
  /** Default `{ rank: 0, worldSize: 1 }`. */
  readonly shard?: Shard;
  /** Shard in blocks of this many consecutive positions. Default 1. */
  readonly blockSize?: number;
}

/** A rank's share of an epoch, by position. */
export interface RankIds {
  /** Ids this rank streams this epoch. */
  readonly length: number;
  /** The id at this rank's position `p` (`0 ≤ p < length`). */
  at(p: number): string;
}

/** A listed share as {@link RankIds}. */
export function listedIds(mine: readonly string[]): RankIds {
  return {
    length: mine.length,
    at: (p) => {
      const id = mine[p];
      if (id === undefined) throw new RangeError(`position ${String(p)} is outside this rank's ${mine.length} ids`);
      return id;
    },
  };
}

/** A rank's share of the positions `[0, n)`: how many, and the epoch position of its `p`-th. */
export interface ShardPositions {
  readonly length: number;
  at(p: number): number;
}

/**
 * The positions of `[0, n)` that `shardOf` gives a rank, computed instead of listed: rank `r`
 * of `W` with block `B` takes blocks `r, r + W, …` of `B` consecutive positions (the last block
 * may be short), so its `p`-th position is `(⌊p/B⌋·W + r)·B + p mod B`.
 * @example
 * shardPositions(5, { rank: 0, worldSize: 2 }, 2).length; // 3 — positions 0, 1, 4
 * @throws {OptionsError} for a bad shard or block size.
 */
export function shardPositions(n: number, shard: Shard, blockSize = 1): ShardPositions {
  validateShard(shard);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new OptionsError(`shard block size must be a positive integer, got ${String(blockSize)}`);
  const { rank, worldSize } = shard;
  const blocks = Math.ceil(n / blockSize);
  const mine = Math.max(0, Math.ceil((blocks - rank) / worldSize));
  // The last block is short when blockSize does not divide n; it is this rank's last if it is this rank's.
  const short = mine > 0 && (blocks - 1) % worldSize === rank ? blocks * blockSize - n : 0;
  const length = mine * blockSize - short;
  return {
    length,
    at: (p) => {
      if (!Number.isInteger(p) || p < 0 || p >= length) throw new RangeError(`shard position ${String(p)} is outside [0, ${length})`);
      const block = Math.floor(p / blockSize);
      return (block * worldSize + rank) * blockSize + (p - block * blockSize);
    },
  };
}

/**
 * This rank's ids of the epoch. For a `string[]`: `shardOf(epochOrder(ids, …), shard, blockSize)`,
 * listed. For an id column: position `p` is row `permutation.at(shardPositions.at(p))`, decoded
 * then; memory is constant in the number of ids.
 * @example
 * const mine = rankIds(idsFromArrowFile('ids.arrow'), { epoch: 0, seed: 1, shard: { rank: 3, worldSize: 8 } });
 * mine.at(0); // this rank's first id
 * @throws {OptionsError} for a bad shard or block size.
 */
export function rankIds(ids: SampleIds, options: RankIdsOptions): RankIds {
  const shard = options.shard ?? { rank: 0, worldSize: 1 };
  const blockSize = options.blockSize ?? 1;
  if (!isIdColumn(ids)) {
    const listed = shardOf(epochOrder(ids, { epoch: options.epoch, seed: options.seed, shuffle: options.shuffle ?? true }), shard, blockSize);
    return listedIds(listed);
  }
  const positions = shardPositions(ids.length, shard, blockSize);
  const rows = indexPermutation(ids.length, { epoch: options.epoch, seed: options.seed, shuffle: options.shuffle ?? true });
  return { length: positions.length, at: (p) => ids.at(rows.at(positions.at(p))) };
}

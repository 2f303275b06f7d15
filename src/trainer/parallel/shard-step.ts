/**
 * One participant's sharded update after its slice's gradients are in its region: the same
 * sequence on every participant (the main thread and each replica worker), with the barriers
 * between its stages left to the caller, who waits at each `yield` (a worker blocks in
 * `Atomics.wait`, the main thread awaits `Atomics.waitAsync`: see `shard-barrier.ts`).
 *
 * 1. its slice's scaled loss into the scratch, then a barrier (every region written);
 * 2. whether the step applies (no slice failed, the row-weighted loss finite: every participant
 *    decides alike from the same shared values); if so its part `shardBounds(k)` of the sum and
 *    the optimizer update (`sharded-update.ts`), with clipping a barrier between the sum and the
 *    update to share the squared norms;
 * 3. `CONTROL.done` counted up, then a last barrier: every part updated, the weights final.
 */
import { adamSimd } from './adam-simd.js';
import { CONTROL, type PoolMemory, type ShardedStepUpdate, type ShardedUpdateInit, type WeightLayout } from './replica-protocol.js';
import { clipScaleOf, shardBounds, sumShard, sumUpdateShard, updateShard, type ShardMemory } from './sharded-update.js';

/** What one participant's update needs. */
export interface ShardStepContext {
  /** This participant's index (= its slice's and region's). */
  readonly index: number;
  /** Participants. */
  readonly threads: number;
  readonly mem: ShardMemory;
  readonly control: Int32Array;
  /** Float64 per participant: its slice's total loss, then its part of the squared gradient norm. */
  readonly scratch: Float64Array;
  /** Clip the summed gradients to this global L2 norm (null: no clipping). */
  readonly clipNorm: number | null;
}

/**
 * Participant `index`'s context over the pool's shared memory (the same on the main thread and
 * on each replica): its views of the weights, regions and slots, the SIMD Adam where `update.simd`.
 * @example const ctx = shardContext(0, update, layout, poolViews(mem, layout, n), mem);
 */
export function shardContext(
  index: number,
  update: ShardedUpdateInit,
  layout: WeightLayout,
  views: { readonly weights: Float32Array; readonly regions: readonly Float32Array[] },
  memory: PoolMemory,
): ShardStepContext {
  return {
    index,
    threads: update.threads,
    mem: {
      layout,
      regions: views.regions,
      weights: views.weights,
      slots: new Float32Array(update.slots, update.slotsOffset, update.slotFloats),
      config: update.config,
      lrScales: update.lrScales,
      simd: update.simd ? adamSimd(memory.memory) : null,
    },
    control: new Int32Array(update.control),
    scratch: new Float64Array(update.scratch),
    clipNorm: update.clipNorm,
  };
}

/**
 * The stages of one participant's sharded update; `total`: its slice's loss (0 for an idle
 * participant). Yields where every participant must meet; returns whether the update applied.
 * @example const g = shardStep(ctx, u, total); for (let r = g.next(); !r.done; r = g.next()) barrier.wait();
 */
export function* shardStep(ctx: ShardStepContext, u: ShardedStepUpdate, total: number): Generator<void, boolean, void> {
  const { index, threads, mem, control, scratch } = ctx;
  scratch[index] = total;
  yield; // every slice's gradients (or its failure) written
  let batchTotal = 0;
  u.shares.forEach((w, k) => (batchTotal += w * (scratch[k] as number)));
  const applied = Atomics.load(control, CONTROL.failed) === 0 && Number.isFinite(batchTotal);
  if (applied) {
    const { start, end } = shardBounds(mem.layout.regionFloats, threads, index);
    if (ctx.clipNorm === null) {
      sumUpdateShard(mem, start, end, u.shares, u.lr, u.optStep);
    } else {
      scratch[threads + index] = sumShard(mem, start, end, u.shares);
      yield; // every part's squared norm written
      let norm2 = 0;
      for (let k = 0; k < threads; k++) norm2 += scratch[threads + k] as number;
      updateShard(mem, start, Math.min(end, mem.layout.gradFloats), u.lr, u.optStep, clipScaleOf(Math.sqrt(norm2), ctx.clipNorm));
    }
  }
  Atomics.add(control, CONTROL.done, 1);
  yield; // every part updated (or none): the weights the next step reads are final
  return applied;
}

/** How a participant's update went: whether it applied, and its ms waiting at the barriers. */
export interface ShardStepOutcome {
  readonly applied: boolean;
  readonly waited: number;
}

/**
 * Runs `stages` to the end, blocking at each barrier with `wait` (a worker: `shardBarrier(…).wait`).
 * @throws {Error} from `wait` when another participant stopped (abort).
 */
export function runShardStep(stages: Generator<void, boolean, void>, wait: () => void): ShardStepOutcome {
  let waited = 0;
  for (let r = stages.next(); ; r = stages.next()) {
    if (r.done === true) return { applied: r.value, waited };
    const t = performance.now();
    wait();
    waited += performance.now() - t;
  }
}

/**
 * {@link runShardStep} awaiting each barrier (the main thread: `shardBarrier(…).waitAsync`).
 * @throws {Error} (rejects) from `wait` when another participant stopped (abort).
 */
export async function runShardStepAsync(stages: Generator<void, boolean, void>, wait: () => Promise<void>): Promise<ShardStepOutcome> {
  let waited = 0;
  for (let r = stages.next(); ; r = stages.next()) {
    if (r.done === true) return { applied: r.value, waited };
    const t = performance.now();
    await wait();
    waited += performance.now() - t;
  }
}

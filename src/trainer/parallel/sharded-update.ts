/**
 * The sharded optimizer update of data-parallel training: replica `k` of `n` owns the part
 * `[floor(k·F/n), floor((k+1)·F/n))` of a gradient region's `F` elements. For the gradient part
 * it sums the replicas' regions in a fixed order (slice 0 + 1 + …, each addition rounded to
 * float32, as the main thread's sum did), optionally clips by the global norm, and applies the
 * optimizer to the weights and slots it owns, in shared memory; for the state part (batch-norm
 * moving statistics) it writes the row-weighted sum of the replicas' statistics into the weights.
 *
 * The arithmetic repeats `optim/optimizer.ts`'s tfjs ops one by one in float32 (each product,
 * sum, quotient and square root rounded with `Math.fround`, constants rounded to float32 as tfjs
 * makes scalars of them), so an update equals the main thread's tfjs update bit for bit on a
 * backend that rounds each op to float32 (wasm, cpu). Clipping's norm is summed in double
 * precision here (tfjs sums in float32), so clipped updates agree to float rounding only.
 * Adam on two regions without clipping (fit's 2-thread default) runs four elements at a time in
 * WebAssembly SIMD when the memory holds every array (`adam-simd.ts`: the same bits, ~7× faster).
 */
import type { OptimizerConfig } from '../optim/optimizer.js';
import type { AdamSimd, AdamSimdConstants } from './adam-simd.js';
import type { WeightLayout } from './replica-protocol.js';

const f = Math.fround;

/** The bounds of replica `k`'s part of `floats` elements among `threads` replicas. */
export function shardBounds(floats: number, threads: number, k: number): { readonly start: number; readonly end: number } {
  return { start: Math.floor((k * floats) / threads), end: Math.floor(((k + 1) * floats) / threads) };
}

/** Shared memory one replica updates in. */
export interface ShardMemory {
  readonly layout: WeightLayout;
  /** Every replica's gradient region (index = slice). */
  readonly regions: readonly Float32Array[];
  /** The shared weights. */
  readonly weights: Float32Array;
  /** The optimizer's shared slots: slot `s` of gradient element `j` at `s·gradFloats + j`. */
  readonly slots: Float32Array;
  readonly config: OptimizerConfig;
  /** Learning-rate factor per trainable variable, or null. */
  readonly lrScales: readonly number[] | null;
  /** The SIMD Adam over the memory holding every array above (2 regions, unclipped); absent or null: the scalar loops only. */
  readonly simd?: AdamSimd | null;
}

/**
 * Sums the gradient part `[start, end)` of the first `shares.length` regions into region 0
 * (in place: each element is owned by one replica) and writes the state part's row-weighted sums
 * (`shares[k]` = rows of slice k / rows of the batch) into the weights. Returns the squared L2
 * norm of the summed gradients in the range (double precision, in element order).
 */
export function sumShard(mem: ShardMemory, start: number, end: number, shares: readonly number[]): number {
  const { layout, regions } = mem;
  const first = regions[0] as Float32Array;
  const gradEnd = Math.min(end, layout.gradFloats);
  // Region by region over the range (each element still sums slice 0 + 1 + … in that order,
  // starting from 0): one pass per region over contiguous memory.
  for (let j = start; j < gradEnd; j++) first[j] = f(0 + (first[j] as number));
  for (let k = 1; k < shares.length; k++) {
    const r = regions[k] as Float32Array;
    for (let j = start; j < gradEnd; j++) first[j] = f((first[j] as number) + (r[j] as number));
  }
  let sq = 0;
  for (let j = start; j < gradEnd; j++) {
    const v = first[j] as number;
    sq += v * v;
  }
  if (end > layout.gradFloats) {
    // state weights follow the gradients in a region, in the network's weight order
    let at = layout.gradFloats;
    for (const w of layout.weights) {
      if (w.trainable) continue;
      const lo = Math.max(start, at);
      const hi = Math.min(end, at + w.size);
      for (let j = lo; j < hi; j++) {
        let s = 0;
        for (let k = 0; k < shares.length; k++) s = f(s + (shares[k] as number) * ((regions[k] as Float32Array)[j] as number));
        mem.weights[w.offset + (j - at)] = s;
      }
      at += w.size;
    }
  }
  return sq;
}

/**
 * Applies one optimizer update to the gradient elements `[start, end)` (summed in region 0 by
 * {@link sumShard}) with learning rate `lr`, `step` being the optimizer's step after this update
 * and `clipScale` the factor on the gradients (null: unclipped).
 */
export function updateShard(mem: ShardMemory, start: number, end: number, lr: number, step: number, clipScale: number | null): void {
  const { layout, weights, slots, config } = mem;
  const grad = mem.regions[0] as Float32Array;
  const floats = layout.gradFloats;
  const scale = clipScale === null ? null : f(clipScale);
  const wd = config.weightDecay ?? 0;
  const WD = f(wd);
  layout.grads.forEach((g, i) => {
    const lo = Math.max(start, g.offset);
    const hi = Math.min(end, g.offset + g.size);
    if (lo >= hi) return;
    const rate = f(mem.lrScales === null ? lr : lr * (mem.lrScales[i] as number));
    const wBase = g.weightOffset - g.offset;
    if (config.type === 'adam') {
      const c = adamConstants(config, step, rate, scale ?? 1);
      adamRange(grad, slots, weights, floats, wBase, lo, hi, c, scale !== null, wd > 0);
    } else {
      const mu = config.momentum ?? 0;
      const MU = f(mu);
      const nesterov = config.nesterov === true;
      for (let j = lo; j < hi; j++) {
        const w = weights[wBase + j] as number;
        let gj = scale === null ? (grad[j] as number) : f((grad[j] as number) * scale);
        if (wd > 0) gj = f(gj + f(w * WD));
        if (mu > 0) {
          const b = f(f((slots[j] as number) * MU) + gj);
          slots[j] = b;
          gj = nesterov ? f(gj + f(b * MU)) : b;
        }
        weights[wBase + j] = f(w - f(gj * rate));
      }
    }
  });
}

/**
 * {@link sumShard} then {@link updateShard} without clipping, fused: each gradient element is
 * summed (slice 0 + 1 + …, from 0, each addition rounded to float32, as `sumShard`) in a local
 * and the optimizer applied to it in the same pass, so the gradients are read once and the sum is
 * never written back (region 0 keeps the slice's own gradients). Same weights and slots bit for
 * bit as the two calls; the state part is written as `sumShard` writes it.
 */
export function sumUpdateShard(mem: ShardMemory, start: number, end: number, shares: readonly number[], lr: number, step: number): void {
  const { layout, weights, slots, config } = mem;
  const gradEnd = Math.min(end, layout.gradFloats);
  if (end > layout.gradFloats) sumShard(mem, Math.max(start, layout.gradFloats), end, shares);
  const regions = mem.regions.slice(0, shares.length);
  const floats = layout.gradFloats;
  const wd = config.weightDecay ?? 0;
  layout.grads.forEach((g, i) => {
    const lo = Math.max(start, g.offset);
    const hi = Math.min(gradEnd, g.offset + g.size);
    if (lo >= hi) return;
    const rate = f(mem.lrScales === null ? lr : lr * (mem.lrScales[i] as number));
    const wBase = g.weightOffset - g.offset;
    if (config.type === 'adam') {
      const c = adamConstants(config, step, rate, 1);
      if (regions.length === 2) {
        const [r0, r1] = regions as [Float32Array, Float32Array];
        // four lanes at a time where the memory allows, the rest (< 4 elements) in the scalar loop
        const from = mem.simd?.sum2(r0, r1, slots, weights, floats, wBase, lo, hi, c, wd > 0) ?? lo;
        adamSum2Range(r0, r1, slots, weights, floats, wBase, from, hi, c, wd > 0);
      } else adamSumRange(regions, slots, weights, floats, wBase, lo, hi, c, wd > 0);
    } else {
      // SGD: sum into region 0 over this range, then the unfused update (reads it back)
      sumShard(mem, lo, hi, shares);
      updateShard(mem, lo, hi, lr, step, null);
    }
  });
}

/** Adam's float32 constants for one variable and step, and the factor on its summed gradient. */
interface AdamConstants extends AdamSimdConstants {
  readonly scale: number;
}

/** {@link AdamConstants} of `config` at optimizer step `step`, learning rate `rate` and gradient factor `scale`. */
function adamConstants(config: Extract<ShardMemory['config'], { type: 'adam' }>, step: number, rate: number, scale: number): AdamConstants {
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  return {
    B1: f(b1),
    B2: f(b2),
    A1: f(1 - b1),
    A2: f(1 - b2),
    C1: f(1 - Math.pow(b1, step)),
    C2: f(1 - Math.pow(b2, step)),
    EPS: f(config.epsilon ?? 1e-7),
    WD: f(config.weightDecay ?? 0),
    rate,
    scale,
  };
}

/**
 * Adam on gradient elements `[lo, hi)` (weights at `wBase + j`), op by op in float32 as tfjs:
 * one monomorphic loop with its constants in locals (about 2× faster than the closure it replaced).
 */
function adamRange(
  grad: Float32Array,
  slots: Float32Array,
  weights: Float32Array,
  floats: number,
  wBase: number,
  lo: number,
  hi: number,
  c: AdamConstants,
  scaled: boolean,
  decay: boolean,
): void {
  const { B1, B2, A1, A2, C1, C2, EPS, WD, rate, scale } = c;
  for (let j = lo; j < hi; j++) {
    const gj = scaled ? f((grad[j] as number) * scale) : (grad[j] as number);
    const m1 = f(f((slots[j] as number) * B1) + f(gj * A1));
    const v1 = f(f((slots[floats + j] as number) * B2) + f(f(gj * gj) * A2));
    slots[j] = m1;
    slots[floats + j] = v1;
    const w = weights[wBase + j] as number;
    let update = f(f(m1 / C1) / f(f(Math.sqrt(f(v1 / C2))) + EPS));
    if (decay) update = f(update + f(w * WD));
    weights[wBase + j] = f(w - f(update * rate));
  }
}

/** {@link adamRange} on the sum of two regions (the 2-thread case: one monomorphic loop). */
function adamSum2Range(
  r0: Float32Array,
  r1: Float32Array,
  slots: Float32Array,
  weights: Float32Array,
  floats: number,
  wBase: number,
  lo: number,
  hi: number,
  c: AdamConstants,
  decay: boolean,
): void {
  const { B1, B2, A1, A2, C1, C2, EPS, WD, rate } = c;
  for (let j = lo; j < hi; j++) {
    const gj = f(f(0 + (r0[j] as number)) + (r1[j] as number));
    const m1 = f(f((slots[j] as number) * B1) + f(gj * A1));
    const v1 = f(f((slots[floats + j] as number) * B2) + f(f(gj * gj) * A2));
    slots[j] = m1;
    slots[floats + j] = v1;
    const w = weights[wBase + j] as number;
    let update = f(f(m1 / C1) / f(f(Math.sqrt(f(v1 / C2))) + EPS));
    if (decay) update = f(update + f(w * WD));
    weights[wBase + j] = f(w - f(update * rate));
  }
}

/** {@link adamRange} on the sum of any number of regions (in region order). */
function adamSumRange(
  regions: readonly Float32Array[],
  slots: Float32Array,
  weights: Float32Array,
  floats: number,
  wBase: number,
  lo: number,
  hi: number,
  c: AdamConstants,
  decay: boolean,
): void {
  const { B1, B2, A1, A2, C1, C2, EPS, WD, rate } = c;
  const n = regions.length;
  for (let j = lo; j < hi; j++) {
    let gj = 0;
    for (let k = 0; k < n; k++) gj = f(gj + ((regions[k] as Float32Array)[j] as number));
    const m1 = f(f((slots[j] as number) * B1) + f(gj * A1));
    const v1 = f(f((slots[floats + j] as number) * B2) + f(f(gj * gj) * A2));
    slots[j] = m1;
    slots[floats + j] = v1;
    const w = weights[wBase + j] as number;
    let update = f(f(m1 / C1) / f(f(Math.sqrt(f(v1 / C2))) + EPS));
    if (decay) update = f(update + f(w * WD));
    weights[wBase + j] = f(w - f(update * rate));
  }
}

/** The factor `clipByGlobalNorm` puts on the gradients for a global norm `norm` (null: none). */
export function clipScaleOf(norm: number, maxNorm: number | null): number | null {
  return maxNorm !== null && norm > maxNorm ? maxNorm / (norm + 1e-6) : null;
}

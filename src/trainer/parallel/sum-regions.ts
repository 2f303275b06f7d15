/**
 * The fixed-order sum of the participants' gradient regions (the replica pool's `gradients`,
 * whose caller applies the update): each gradient element summed slice 0 + slice 1 + … in
 * float32 from 0, the state part (batch-norm statistics) row-weighted by each slice's share.
 */
import type { WeightLayout } from './replica-protocol.js';

/**
 * The sum of the first `shares.length` regions (`shares[k]`: rows of slice k / rows of the batch),
 * into `out` (zeroed first; default a new array) — the pool passes one kept buffer, so a step
 * makes no region-sized garbage.
 * @example const sum = sumRegions(layout, regions, [0.5, 0.5]);
 * @throws {Error} when `out` is not `layout.regionFloats` long.
 */
export function sumRegions(layout: WeightLayout, regions: readonly Float32Array[], shares: readonly number[], out?: Float32Array): Float32Array {
  if (out !== undefined && out.length !== layout.regionFloats) throw new Error(`sumRegions: out holds ${out.length} elements, a region ${layout.regionFloats}`);
  const sum = out?.fill(0) ?? new Float32Array(layout.regionFloats);
  shares.forEach((w, k) => {
    const region = regions[k] as Float32Array;
    for (let j = 0; j < layout.gradFloats; j++) sum[j] = (sum[j] as number) + (region[j] as number);
    for (let j = layout.gradFloats; j < layout.regionFloats; j++) sum[j] = (sum[j] as number) + w * (region[j] as number);
  });
  return sum;
}

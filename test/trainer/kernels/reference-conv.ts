/**
 * Float64 reference convolution and its two gradients, written as the plain convolution sum
 * (no im2col), for checking fuseflow's kernels where the pure-JS backend cannot serve as the
 * reference (dilation in gradients) and for finite differences.
 */
import type { ConvGeometry } from '../../../src/trainer/kernels/conv-geometry.js';

type Visit = (xi: number, wi: number, yi: number) => void;

/** Calls `visit(xIndex, wIndex, yIndex)` for every term of the convolution sum. */
function eachTerm(g: ConvGeometry, visit: Visit): void {
  const { batch, inChannels: ci, outChannels: co } = g;
  for (let b = 0; b < batch; b++)
    for (let od = 0; od < g.outDepth; od++)
      for (let oh = 0; oh < g.outHeight; oh++)
        for (let ow = 0; ow < g.outWidth; ow++)
          for (let kd = 0; kd < g.filterDepth; kd++) {
            const id = od * g.strideDepth + kd * g.dilationDepth - g.padFront;
            if (id < 0 || id >= g.inDepth) continue;
            for (let kh = 0; kh < g.filterHeight; kh++) {
              const ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop;
              if (ih < 0 || ih >= g.inHeight) continue;
              for (let kw = 0; kw < g.filterWidth; kw++) {
                const iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft;
                if (iw < 0 || iw >= g.inWidth) continue;
                for (let c = 0; c < ci; c++)
                  for (let o = 0; o < co; o++) {
                    const xi = (((b * g.inDepth + id) * g.inHeight + ih) * g.inWidth + iw) * ci + c;
                    const wi = (((kd * g.filterHeight + kh) * g.filterWidth + kw) * ci + c) * co + o;
                    const yi = (((b * g.outDepth + od) * g.outHeight + oh) * g.outWidth + ow) * co + o;
                    visit(xi, wi, yi);
                  }
              }
            }
          }
}

/** y = conv(x, w), float64. */
export function convForward(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const y = new Float64Array(g.batch * g.outDepth * g.outHeight * g.outWidth * g.outChannels);
  eachTerm(g, (xi, wi, yi) => {
    y[yi] = (y[yi] as number) + (x[xi] as number) * (w[wi] as number);
  });
  return y;
}

/** dW = ∂⟨dy, conv(x, w)⟩/∂w, float64. */
export function convFilterGrad(g: ConvGeometry, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const dw = new Float64Array(g.filterDepth * g.filterHeight * g.filterWidth * g.inChannels * g.outChannels);
  eachTerm(g, (xi, wi, yi) => {
    dw[wi] = (dw[wi] as number) + (x[xi] as number) * (dy[yi] as number);
  });
  return dw;
}

/** dx = ∂⟨dy, conv(x, w)⟩/∂x, float64. */
export function convInputGrad(g: ConvGeometry, w: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(g.batch * g.inDepth * g.inHeight * g.inWidth * g.inChannels);
  eachTerm(g, (xi, wi, yi) => {
    dx[xi] = (dx[xi] as number) + (w[wi] as number) * (dy[yi] as number);
  });
  return dx;
}

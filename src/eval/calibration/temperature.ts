/**
 * Temperature scaling (Guo et al. 2017): find the T > 0 minimising the mean cross-entropy of
 * softmax(logits / T), and apply it to a batch. Finding T needs every row at each step, so the
 * logits are kept in memory up to `maxRows`.
 */
import { OptionsError } from '../../core/errors.js';
import { isList } from '../../core/is-list.js';
import type { EvalBatch, Metric } from '../metric.js';
import { MetricInputError } from '../metric-input-error.js';
import { rowAccumulator, allRows, type RowStore } from '../ci/row-store.js';
import { ClassIndex, badScore, badTarget, checkKey, column, rowWhere, toScore, type Label } from '../metrics/columns.js';

/** Options of `findTemperature`. */
export interface FindTemperatureOptions {
  /** Result name. Default 'temperature'. */
  readonly name?: string;
  /** One logit column per class. */
  readonly logits: readonly string[];
  readonly target: string;
  readonly classNames?: readonly Label[];
  /**
   * `'nll'` (default): the true minimiser of the mean negative log-likelihood (golden-section
   * search on log T, then Newton steps). `'fusemedml'`: FuseMedML's result, one torch
   * `LBFGS(lr=0.01, max_iter=50)` step from T = 1.5 emulated in float32 (not converged; kept
   * to reproduce its numbers).
   */
  readonly method?: 'nll' | 'fusemedml';
  /** Bound on rows kept in memory. Default 10^7. */
  readonly maxRows?: number;
  readonly idKey?: string;
}

/** Mean NLL of logits / T and its derivative in T. */
function nllAndGrad(z: Float64Array, y: Int32Array, k: number, T: number): [number, number] {
  const n = y.length;
  let loss = 0;
  let grad = 0;
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let c = 0; c < k; c++) mx = Math.max(mx, (z[i * k + c] as number) / T);
    let se = 0;
    let ez = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp((z[i * k + c] as number) / T - mx);
      se += e;
      ez += e * (z[i * k + c] as number);
    }
    const zy = z[i * k + (y[i] as number)] as number;
    loss += -(zy / T - mx - Math.log(se));
    grad += (zy - ez / se) / (T * T);
  }
  return [loss / n, grad / n];
}

/** torch.optim.LBFGS (no line search) on one scalar, float32, as FuseMedML calls it. */
function lbfgsTorch(z: Float64Array, y: Int32Array, k: number): number {
  const f = Math.fround;
  const lr = 0.01;
  const maxIter = 50;
  const maxEval = Math.floor(maxIter * 1.25);
  const tolGrad = 1e-7;
  const tolChange = 1e-9;
  let T = f(1.5);
  const evalAt = (x: number): [number, number] => {
    const [l, g] = nllAndGrad(z, y, k, x);
    return [f(l), f(g)];
  };
  let [loss, g] = evalAt(T);
  let evals = 1;
  if (Math.abs(g) <= tolGrad) return T;
  const dirs: number[] = [];
  const stps: number[] = [];
  const ro: number[] = [];
  let d = 0;
  let t = 0;
  let hDiag = 1;
  let prevG = 0;
  for (let iter = 1; iter <= maxIter; iter++) {
    if (iter === 1) {
      d = f(-g);
      hDiag = 1;
    } else {
      const yk = f(g - prevG);
      const s = f(d * t);
      const ys = f(yk * s);
      if (ys > 1e-10) {
        dirs.push(yk);
        stps.push(s);
        ro.push(f(1 / ys));
        hDiag = f(ys / f(yk * yk));
      }
      let q = f(-g);
      const al = new Array<number>(dirs.length).fill(0);
      for (let i = dirs.length - 1; i >= 0; i--) {
        al[i] = f(f((stps[i] as number) * q) * (ro[i] as number));
        q = f(q - f((al[i] as number) * (dirs[i] as number)));
      }
      let r = f(q * hDiag);
      for (let i = 0; i < dirs.length; i++) {
        const be = f(f((dirs[i] as number) * r) * (ro[i] as number));
        r = f(r + f((stps[i] as number) * f((al[i] as number) - be)));
      }
      d = r;
    }
    prevG = g;
    const prevLoss = loss;
    t = iter === 1 ? f(Math.min(1, f(1 / Math.abs(g))) * lr) : lr;
    const gtd = f(g * d);
    if (gtd > -tolChange) break;
    T = f(T + f(t * d));
    let lsEvals = 0;
    if (iter !== maxIter) {
      [loss, g] = evalAt(T);
      lsEvals = 1;
    }
    evals += lsEvals;
    if (iter === maxIter || evals >= maxEval) break;
    if (Math.abs(g) <= tolGrad) break;
    if (Math.abs(f(d * t)) <= tolChange) break;
    if (Math.abs(loss - prevLoss) < tolChange) break;
  }
  return T;
}

/** The NLL minimiser: golden-section search of log T on [−7, 7], then Newton polish on the gradient. */
function minimiseNll(z: Float64Array, y: Int32Array, k: number): number {
  const fLog = (u: number): number => nllAndGrad(z, y, k, Math.exp(u))[0];
  let a = -7;
  let b = 7;
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = fLog(c);
  let fd = fLog(d);
  for (let i = 0; i < 80 && b - a > 1e-10; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = fLog(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = fLog(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * Finds the temperature.
 *
 * Reads `logits` and `target`; writes a number T under `name` (default `'temperature'`). Static.
 *
 * @example
 * const m = findTemperature({ logits: ['z0', 'z1', 'z2'], target: 'y' });
 * @throws OptionsError on bad options; MetricInputError on bad input, no rows, or more than `maxRows` rows.
 */
export function findTemperature(options: FindTemperatureOptions): Metric<RowStore, number> {
  const name = options.name ?? 'temperature';
  if (!isList(options.logits) || options.logits.length < 2) throw new OptionsError(`${name}: logits needs one column per class (at least 2)`);
  options.logits.forEach((l, i) => checkKey(name, `logits[${i}]`, l));
  checkKey(name, 'target', options.target);
  const method = options.method ?? 'nll';
  if (method !== 'nll' && method !== 'fusemedml') throw new OptionsError(`${name}: method must be 'nll' or 'fusemedml'`);
  const index = new ClassIndex(options.classNames ?? options.logits.map((_, i) => String(i)), name);
  const k = options.logits.length;
  const maxRows = options.maxRows ?? 1e7;
  const keys = [...options.logits, options.target, ...(options.idKey === undefined ? [] : [options.idKey])];
  return {
    name,
    ...rowAccumulator(name, maxRows, keys),
    compute(store) {
      const n = store.rows;
      if (n === 0) throw new MetricInputError(name, 'no rows to evaluate');
      const data = allRows(store);
      const z = new Float64Array(n * k);
      const y = new Int32Array(n);
      const t = column(data, options.target, name);
      const cols = options.logits.map((c) => column(data, c, name));
      for (let i = 0; i < n; i++) {
        const c = index.indexOf(t[i]);
        if (c < 0) badTarget(name, t[i], index.classNames, rowWhere(data, i, options.target, options.idKey));
        y[i] = c;
        for (let j = 0; j < k; j++) {
          const v = toScore((cols[j] as ArrayLike<unknown>)[i]);
          if (!Number.isFinite(v)) badScore(name, (cols[j] as ArrayLike<unknown>)[i], rowWhere(data, i, options.logits[j] as string, options.idKey));
          z[i * k + j] = v;
        }
      }
      return method === 'fusemedml' ? lbfgsTorch(z, y, k) : minimiseNll(z, y, k);
    },
  };
}

/** softmax(logits / T) of one row. */
export function softmaxWithTemperature(logits: readonly number[], temperature: number): number[] {
  const s = logits.map((v) => v / temperature);
  const mx = Math.max(...s);
  const e = s.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Options of `applyTemperature`. */
export interface ApplyTemperatureOptions {
  /** One logit column per class. */
  readonly logits: readonly string[];
  /** Output probability columns (same order). */
  readonly outKeys: readonly string[];
  /** The temperature (> 0), e.g. the result of `findTemperature`. */
  readonly temperature: number;
}

/**
 * A batch transform adding calibrated probabilities softmax(logits / T) under `outKeys`; the
 * input batch is not modified.
 *
 * @example
 * const calibrate = applyTemperature({ logits: ['z0', 'z1'], outKeys: ['p0', 'p1'], temperature: 1.3 });
 * const out = calibrate({ z0: [0.2], z1: [1.1] });
 * @throws OptionsError on bad options; MetricInputError on a missing column.
 */
export function applyTemperature(options: ApplyTemperatureOptions): (batch: EvalBatch) => EvalBatch {
  if (!(options.temperature > 0) || !Number.isFinite(options.temperature))
    throw new OptionsError(`applyTemperature: temperature must be a positive number, got ${String(options.temperature)}`);
  if (options.outKeys.length !== options.logits.length) throw new OptionsError('applyTemperature: outKeys needs one key per logits column');
  return (batch) => {
    const cols = options.logits.map((c) => column(batch, c, 'applyTemperature'));
    const n = (cols[0] as ArrayLike<unknown>).length;
    const outs = options.outKeys.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const p = softmaxWithTemperature(
        cols.map((c) => toScore(c[i])),
        options.temperature,
      );
      p.forEach((v, j) => ((outs[j] as Float64Array)[i] = v));
    }
    const out: Record<string, ArrayLike<unknown>> = { ...batch };
    options.outKeys.forEach((k, j) => (out[k] = outs[j] as Float64Array));
    return out;
  };
}

/**
 * Parameter samplers: plain-data placeholders put inside op options (FuseMedML's
 * ParamSamplerBase family) and replaced by draws from the sample's generator by {@link sample}
 * or by {@link drawRecursively}. Being plain data, they hash and cross threads like any option.
 */
import { OptionsError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

/** A uniform real in [min, max). */
export interface UniformSampler {
  readonly $sampler: 'uniform';
  readonly min: number;
  readonly max: number;
}
/** A uniform integer in [min, max], both included. */
export interface RandIntSampler {
  readonly $sampler: 'randInt';
  readonly min: number;
  readonly max: number;
}
/** `true` with probability `p`. */
export interface RandBoolSampler {
  readonly $sampler: 'randBool';
  readonly p: number;
}
/** One of `values`, uniformly or by `weights`. */
export interface ChoiceSampler {
  readonly $sampler: 'choice';
  readonly values: readonly unknown[];
  readonly weights?: readonly number[];
}
/** Normal draws: a number, or an array of `shape` (row-major, nested arrays). */
export interface GaussianSampler {
  readonly $sampler: 'gaussian';
  readonly mean: number;
  readonly std: number;
  readonly shape?: readonly number[];
}

export type ParamSampler = UniformSampler | RandIntSampler | RandBoolSampler | ChoiceSampler | GaussianSampler;

function finite(name: string, field: string, x: unknown): asserts x is number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new OptionsError(`sampler '${name}': '${field}' must be a finite number, got ${JSON.stringify(x)}`);
}

/**
 * Uniform real in [min, max).
 * @example sample({ op: randGamma({ keys: ['img'], gamma: uniform(0.7, 1.5) }) })
 */
export function uniform(min: number, max: number): UniformSampler {
  finite('uniform', 'min', min);
  finite('uniform', 'max', max);
  if (max < min) throw new OptionsError(`sampler 'uniform': max ${max} < min ${min}`);
  return { $sampler: 'uniform', min, max };
}

/** Uniform integer in [min, max], both included (like Python's random.randint). */
export function randInt(min: number, max: number): RandIntSampler {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new OptionsError(`sampler 'randInt': need integers min <= max, got ${min}, ${max}`);
  return { $sampler: 'randInt', min, max };
}

/** `true` with probability `p` in [0, 1]. */
export function randBool(p = 0.5): RandBoolSampler {
  finite('randBool', 'p', p);
  if (p < 0 || p > 1) throw new OptionsError(`sampler 'randBool': p must be in [0, 1], got ${p}`);
  return { $sampler: 'randBool', p };
}

/** One of `values`, with optional non-negative `weights`. */
export function choice<T>(values: readonly T[], weights?: readonly number[]): ChoiceSampler {
  if (values.length === 0) throw new OptionsError(`sampler 'choice': values must not be empty`);
  if (weights !== undefined && (weights.length !== values.length || weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0))) {
    throw new OptionsError(`sampler 'choice': weights must be ${values.length} non-negative numbers, not all zero`);
  }
  return weights === undefined ? { $sampler: 'choice', values } : { $sampler: 'choice', values, weights };
}

/** Normal draw(s) with mean and standard deviation; `shape` gives nested arrays. */
export function gaussian(mean = 0, std = 1, shape?: readonly number[]): GaussianSampler {
  finite('gaussian', 'mean', mean);
  finite('gaussian', 'std', std);
  if (std < 0) throw new OptionsError(`sampler 'gaussian': std must be >= 0`);
  return shape === undefined ? { $sampler: 'gaussian', mean, std } : { $sampler: 'gaussian', mean, std, shape };
}

/** True for a sampler placeholder. */
export function isSampler(value: unknown): value is ParamSampler {
  return typeof value === 'object' && value !== null && typeof (value as { $sampler?: unknown }).$sampler === 'string';
}

function draw(s: ParamSampler, rng: Rng): unknown {
  switch (s.$sampler) {
    case 'uniform':
      return rng.uniform(s.min, s.max);
    case 'randInt':
      return rng.int(s.min, s.max);
    case 'randBool':
      return rng.next() < s.p;
    case 'choice':
      return drawRecursively(rng.choice(s.values, s.weights), rng);
    case 'gaussian': {
      const shape = s.shape ?? [];
      const build = (d: number): unknown => (d === shape.length ? rng.normal(s.mean, s.std) : Array.from({ length: shape[d] as number }, () => build(d + 1)));
      return build(0);
    }
    default:
      throw new OptionsError(`unknown sampler ${JSON.stringify((s as { $sampler: unknown }).$sampler)}`);
  }
}

/**
 * A copy of `value` with every sampler replaced by a draw. Objects are walked in sorted key
 * order, so the draws do not depend on how the options object was written.
 */
export function drawRecursively(value: unknown, rng: Rng): unknown {
  if (isSampler(value)) return draw(value, rng);
  if (Array.isArray(value)) return value.map((v) => drawRecursively(v, rng));
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj).sort()) out[k] = drawRecursively(obj[k], rng);
    // Keep the original key order for readability.
    return Object.fromEntries(Object.keys(obj).map((k) => [k, out[k]]));
  }
  return value;
}

/** True when `value` contains a sampler anywhere. */
export function containsSampler(value: unknown): boolean {
  if (isSampler(value)) return true;
  if (Array.isArray(value)) return value.some(containsSampler);
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) return Object.values(value).some(containsSampler);
  return false;
}

/**
 * A copy of `value` with each sampler replaced by a representative value (its lower end, first
 * choice or mean), so a factory can validate options that still hold samplers.
 */
export function probeSamplers(value: unknown): unknown {
  if (isSampler(value)) {
    switch (value.$sampler) {
      case 'uniform':
      case 'randInt':
        return value.min;
      case 'randBool':
        return false;
      case 'choice':
        return probeSamplers(value.values[0]);
      case 'gaussian':
        return value.shape === undefined ? value.mean : value.mean;
    }
  }
  if (Array.isArray(value)) return value.map(probeSamplers);
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, probeSamplers(v)]));
  }
  return value;
}

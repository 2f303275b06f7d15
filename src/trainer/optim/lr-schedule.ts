/**
 * Learning-rate schedules as pure functions of the optimizer step: constant, step decay,
 * cosine annealing, each with an optional linear warm-up. Serializable, so a resumed run uses
 * the same rate at the same step.
 */
import { OptionsError } from '../../core/errors.js';

/** A schedule description. `warmupSteps` ramps linearly from `lr / warmupSteps` to `lr`. */
export type LrScheduleConfig =
  | { readonly type: 'constant'; readonly lr: number; readonly warmupSteps?: number }
  | { readonly type: 'step'; readonly lr: number; readonly stepSize: number; readonly gamma?: number; readonly warmupSteps?: number }
  | { readonly type: 'cosine'; readonly lr: number; readonly totalSteps: number; readonly minLr?: number; readonly warmupSteps?: number };

/** The learning rate at optimizer step `step` (0-based: the rate of the first update is `at(0)`). */
export interface LrSchedule {
  readonly config: LrScheduleConfig;
  at(step: number): number;
}

/**
 * Builds a schedule. Step decay multiplies by `gamma` (default 0.1) every `stepSize` steps after
 * warm-up; cosine anneals from `lr` to `minLr` (default 0) over `totalSteps` (warm-up included)
 * and stays at `minLr` after.
 * @example lrSchedule({ type: 'cosine', lr: 1e-3, totalSteps: 1000, warmupSteps: 50 }).at(0) // 2e-5
 * @throws {OptionsError} for non-positive rates or step counts.
 */
export function lrSchedule(config: LrScheduleConfig): LrSchedule {
  const warm = config.warmupSteps ?? 0;
  if (!(config.lr > 0) || !Number.isFinite(config.lr)) throw new OptionsError(`lrSchedule: lr must be > 0, got ${config.lr}`);
  if (!Number.isInteger(warm) || warm < 0) throw new OptionsError(`lrSchedule: warmupSteps must be an integer ≥ 0, got ${warm}`);
  if (config.type === 'step' && (!Number.isInteger(config.stepSize) || config.stepSize < 1)) throw new OptionsError(`lrSchedule: stepSize must be a positive integer`);
  if (config.type === 'cosine' && (!Number.isInteger(config.totalSteps) || config.totalSteps <= warm)) {
    throw new OptionsError(`lrSchedule: totalSteps must be an integer > warmupSteps`);
  }
  if (!['constant', 'step', 'cosine'].includes(config.type)) throw new OptionsError(`lrSchedule: unknown type '${(config as { type: string }).type}'`);
  return {
    config,
    at(step) {
      if (step < warm) return (config.lr * (step + 1)) / warm;
      const s = step - warm;
      switch (config.type) {
        case 'constant':
          return config.lr;
        case 'step':
          return config.lr * Math.pow(config.gamma ?? 0.1, Math.floor(s / config.stepSize));
        case 'cosine': {
          const minLr = config.minLr ?? 0;
          const span = config.totalSteps - warm;
          if (s >= span) return minLr;
          return minLr + ((config.lr - minLr) * (1 + Math.cos((Math.PI * s) / span))) / 2;
        }
      }
    },
  };
}

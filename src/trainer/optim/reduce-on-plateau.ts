/**
 * ReduceLROnPlateau (PyTorch's `torch.optim.lr_scheduler.ReduceLROnPlateau`, Keras's callback of
 * the same name): after each epoch it is told the monitored value; when that value has not
 * improved by more than `threshold` for more than `patience` epochs, the learning rate is
 * multiplied by `factor` (never below `minLr`), then `cooldown` epochs pass before bad epochs are
 * counted again. fuseflow applies it as a factor on the step schedule's rate (`scale`), so it
 * composes with warm-up and decay: with a constant schedule the rate follows PyTorch's exactly.
 * Its whole state is four numbers, saved in every checkpoint, so a resumed run reduces at the same
 * epochs.
 */
import { OptionsError } from '../../core/errors.js';

/** Settings of {@link reduceOnPlateau} (serializable; recorded in the run's configuration). */
export interface ReduceOnPlateauConfig {
  /** The monitored value's key (fit's monitor syntax). Default: fit's `monitor.key`. */
  readonly monitor?: string;
  /** Whether smaller (`'min'`) or larger (`'max'`) values are better. Default: fit's `monitor.mode`. */
  readonly mode?: 'min' | 'max';
  /** Multiplier of the rate on a plateau, in (0, 1). Default 0.1. */
  readonly factor?: number;
  /** Epochs without improvement tolerated; the rate drops on the next one. Default 10. */
  readonly patience?: number;
  /** An improvement must beat the best value by more than this. Default 1e-4. */
  readonly threshold?: number;
  /** `'rel'`: by more than `threshold × |best|` (PyTorch's default); `'abs'`: by more than `threshold`. Default `'rel'`. */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Epochs after a reduction during which bad epochs are not counted. Default 0. */
  readonly cooldown?: number;
  /** The rate never drops below this. Default 0. */
  readonly minLr?: number;
  /** A reduction smaller than this is not made (PyTorch's `eps`). Default 1e-8. */
  readonly eps?: number;
}

/** The scheduler's state, as checkpoints store it. */
export interface PlateauState {
  /** Best value so far (null before the first epoch). */
  readonly best: number | null;
  /** Epochs since the last improvement (not counted during cooldown). */
  readonly badEpochs: number;
  /** Cooldown epochs left. */
  readonly cooldownLeft: number;
  /** Factor on the schedule's rate (1 until the first reduction). */
  readonly scale: number;
}

/** A plateau scheduler. */
export interface ReduceOnPlateau {
  readonly config: Required<Omit<ReduceOnPlateauConfig, 'monitor' | 'mode'>> & { readonly monitor: string; readonly mode: 'min' | 'max' };
  /** Factor on the schedule's rate now. */
  readonly scale: number;
  /**
   * Records an epoch's value; `baseLr` is the schedule's rate at the next step (to apply `minLr`).
   * @returns whether the rate was reduced.
   */
  step(value: number, baseLr: number): boolean;
  state(): PlateauState;
  /** @throws {OptionsError} for a state that is not a plateau state. */
  load(state: unknown): void;
}

/**
 * A plateau scheduler; `monitor` fills in the key and mode the config leaves out.
 * @example
 * const p = reduceOnPlateau({ factor: 0.5, patience: 2 }, { key: 'validation.losses.total', mode: 'min' });
 * p.step(0.9, 1e-3); p.step(0.95, 1e-3); p.step(0.95, 1e-3); p.step(0.96, 1e-3); // true: scale 0.5
 * @throws {OptionsError} for out-of-range settings.
 */
export function reduceOnPlateau(config: ReduceOnPlateauConfig, monitor: { readonly key: string; readonly mode: 'min' | 'max' }): ReduceOnPlateau {
  const c = {
    monitor: config.monitor ?? monitor.key,
    mode: config.mode ?? monitor.mode,
    factor: config.factor ?? 0.1,
    patience: config.patience ?? 10,
    threshold: config.threshold ?? 1e-4,
    thresholdMode: config.thresholdMode ?? 'rel',
    cooldown: config.cooldown ?? 0,
    minLr: config.minLr ?? 0,
    eps: config.eps ?? 1e-8,
  } as const;
  const bad = (what: string): OptionsError => new OptionsError(`reduceOnPlateau: ${what}`);
  if (c.mode !== 'min' && c.mode !== 'max') throw bad(`mode must be 'min' or 'max', got ${String(c.mode)}`);
  if (!(c.factor > 0 && c.factor < 1)) throw bad(`factor must be in (0, 1), got ${c.factor}`);
  if (!Number.isInteger(c.patience) || c.patience < 0) throw bad(`patience must be an integer ≥ 0, got ${c.patience}`);
  if (!(c.threshold >= 0) || !Number.isFinite(c.threshold)) throw bad(`threshold must be ≥ 0, got ${c.threshold}`);
  if (c.thresholdMode !== 'rel' && c.thresholdMode !== 'abs') throw bad(`thresholdMode must be 'rel' or 'abs', got ${String(c.thresholdMode)}`);
  if (!Number.isInteger(c.cooldown) || c.cooldown < 0) throw bad(`cooldown must be an integer ≥ 0, got ${c.cooldown}`);
  if (!(c.minLr >= 0) || !Number.isFinite(c.minLr)) throw bad(`minLr must be ≥ 0, got ${c.minLr}`);
  if (!(c.eps >= 0)) throw bad(`eps must be ≥ 0, got ${c.eps}`);

  let best: number | null = null;
  let badEpochs = 0;
  let cooldownLeft = 0;
  let scale = 1;
  const better = (a: number, b: number): boolean => {
    if (c.mode === 'min') return c.thresholdMode === 'rel' ? a < b * (1 - c.threshold) : a < b - c.threshold;
    return c.thresholdMode === 'rel' ? a > b * (1 + c.threshold) : a > b + c.threshold;
  };
  return {
    config: c,
    get scale() {
      return scale;
    },
    step(value, baseLr) {
      if (best === null || better(value, best)) {
        best = value;
        badEpochs = 0;
      } else {
        badEpochs += 1;
      }
      if (cooldownLeft > 0) {
        cooldownLeft -= 1;
        badEpochs = 0;
      }
      if (badEpochs <= c.patience) return false;
      cooldownLeft = c.cooldown;
      badEpochs = 0;
      const old = baseLr * scale;
      const next = Math.max(old * c.factor, c.minLr);
      if (!(old - next > c.eps)) return false;
      scale = next / baseLr;
      return true;
    },
    state: () => ({ best, badEpochs, cooldownLeft, scale }),
    load(state) {
      const s = state as PlateauState | null;
      if (
        typeof s !== 'object' ||
        s === null ||
        !(s.best === null || typeof s.best === 'number') ||
        !Number.isInteger(s.badEpochs) ||
        !Number.isInteger(s.cooldownLeft) ||
        !(typeof s.scale === 'number' && s.scale > 0)
      ) {
        throw bad(`the checkpoint's plateau state is malformed: ${JSON.stringify(state)}`);
      }
      best = s.best;
      badEpochs = s.badEpochs;
      cooldownLeft = s.cooldownLeft;
      scale = s.scale;
    },
  };
}

/**
 * Callbacks that act (Lightning's callbacks and Keras's `Callback`, which may stop training, set
 * the learning rate, write files and log values — not only observe). A callback has a name and any
 * of two hooks: `onStepEnd` after each optimizer update and `onEpochEnd` after each epoch's
 * validation, before the monitored value is judged and the checkpoints and the log line are
 * written. Through its context a hook may
 * - `stop()`: at an epoch's end the run ends after that epoch is checkpointed and logged; after a
 *   step it ends like the abort signal (`last.ckpt` holds the exact position, `interrupted: true`);
 * - `setLr(lr)`: the next update uses `lr`; later updates follow the schedule times the same factor
 *   (the factor is saved in every checkpoint, so a resumed run keeps it);
 * - `log(key, value)` (epoch end): adds a number to the epoch's log line under `logged.<key>`,
 *   which `monitor` may then name;
 * - `saveArtifact(name, data)` (epoch end): writes a file into `<run folder>/artifacts/` through
 *   `core/safe-fs` (atomic, never through a link; an existing file is replaced only when the run
 *   was resumed or overwritten, or the call says `overwrite: true`).
 * A callback's own memory is saved with the run when it has `state()` (JSON) and `load()`.
 */
import { join } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { makeRunFolder } from '../run-folder.js';

/** What every hook's context offers. */
export interface CallbackContext {
  /** Epoch in progress (0-based). */
  readonly epoch: number;
  /** Optimizer updates so far. */
  readonly step: number;
  /** The learning rate of the next update. */
  readonly lr: number;
  /** The run folder. */
  readonly dir: string;
  /** Ends training (see the module's notes for when). `reason` goes into `FitResult.stoppedBy`. */
  stop(reason?: string): void;
  /** Sets the learning rate of the next update (> 0); later updates keep the same factor on the schedule. */
  setLr(lr: number): void;
}

/** The context of `onEpochEnd`. */
export interface EpochEndContext extends CallbackContext {
  /** The epoch's values so far: training losses and every validation set's losses and metrics. */
  readonly entry: Readonly<Record<string, unknown>>;
  /** Adds `value` to the epoch's log line at `logged.<key>` (a finite number; key of letters, digits, `_`, `-`). */
  log(key: string, value: number): void;
  /**
   * Writes `data` to `<dir>/artifacts/<name>` atomically; returns the path.
   * @throws {OptionsError} for a name that is not a plain file name; {@link OutputError} when the
   *   file exists (on a new run, without `overwrite: true`) or cannot be written.
   */
  saveArtifact(name: string, data: string | Uint8Array, options?: { readonly overwrite?: boolean }): string;
}

/** A callback of `fit`. */
export interface Callback {
  /** Distinct among the run's callbacks; keys its saved state and names it in `stoppedBy`. */
  readonly name: string;
  /** After each optimizer update (after any mid-epoch checkpoint). */
  onStepEnd?(ctx: CallbackContext): void | Promise<void>;
  /** After each epoch's validation, before best/last checkpoints and the log line. */
  onEpochEnd?(ctx: EpochEndContext): void | Promise<void>;
  /** The callback's own state (JSON), saved in every checkpoint. */
  state?(): unknown;
  /** Restores what `state()` returned (on resume). */
  load?(state: unknown): void;
}

const KEY = /^[A-Za-z0-9_-]+$/;
const FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Checks callbacks before a run: distinct, well-formed names.
 * @throws {OptionsError} naming the callback.
 */
export function checkCallbacks(callbacks: readonly Callback[]): void {
  const seen = new Set<string>();
  for (const c of callbacks) {
    if (typeof c.name !== 'string' || !KEY.test(c.name)) throw new OptionsError(`fit: callback name must be letters, digits, '_' or '-', got ${JSON.stringify(c.name)}`);
    if (seen.has(c.name)) throw new OptionsError(`fit: two callbacks are named '${c.name}'`);
    seen.add(c.name);
  }
}

/** What the hooks asked for, read by the fit loop. */
export interface CallbackRequests {
  /** Set when a hook called `stop`: `<callback name>: <reason>`. */
  stoppedBy: string | null;
  /** Set when a hook called `setLr`. */
  lr: number | null;
}

/** Options of {@link runCallbacks}. */
export interface RunCallbacksOptions {
  readonly dir: string;
  /** Existing artefacts may be replaced (the run was resumed or overwritten). */
  readonly replaceArtifacts: boolean;
}

/** The hooks of a run's callbacks, called in order. */
export interface RunCallbacks {
  readonly requests: CallbackRequests;
  stepEnd(at: { readonly epoch: number; readonly step: number; readonly lr: number }): Promise<void>;
  /** Runs `onEpochEnd` hooks; resolves with the values they logged. */
  epochEnd(at: { readonly epoch: number; readonly step: number; readonly lr: number }, entry: Readonly<Record<string, unknown>>): Promise<Record<string, number>>;
  /** Each stateful callback's state by name. */
  state(): Record<string, unknown>;
  /** Restores saved states (a callback missing from `saved` keeps its own). */
  load(saved: unknown): void;
}

/**
 * The hooks of `callbacks` for a run in `dir`.
 * @example const hooks = runCallbacks([lrWarmRestart], { dir: 'runs/a', replaceArtifacts: false });
 */
export function runCallbacks(callbacks: readonly Callback[], options: RunCallbacksOptions): RunCallbacks {
  const requests: CallbackRequests = { stoppedBy: null, lr: null };
  const base = (c: Callback, at: { readonly epoch: number; readonly step: number; readonly lr: number }): CallbackContext => ({
    epoch: at.epoch,
    step: at.step,
    lr: requests.lr ?? at.lr,
    dir: options.dir,
    stop(reason) {
      requests.stoppedBy ??= `${c.name}: ${reason ?? 'stopped'}`;
    },
    setLr(lr) {
      if (!(lr > 0) || !Number.isFinite(lr)) throw new OptionsError(`callback '${c.name}': setLr needs a finite rate > 0, got ${lr}`);
      requests.lr = lr;
    },
  });
  return {
    requests,
    async stepEnd(at) {
      for (const c of callbacks) if (c.onStepEnd !== undefined) await c.onStepEnd(base(c, at));
    },
    async epochEnd(at, entry) {
      const logged: Record<string, number> = {};
      for (const c of callbacks) {
        if (c.onEpochEnd === undefined) continue;
        await c.onEpochEnd({
          ...base(c, at),
          entry,
          log(key, value) {
            if (!KEY.test(key)) throw new OptionsError(`callback '${c.name}': log key must be letters, digits, '_' or '-', got ${JSON.stringify(key)}`);
            if (typeof value !== 'number' || !Number.isFinite(value)) throw new OptionsError(`callback '${c.name}': log '${key}' needs a finite number, got ${String(value)}`);
            logged[key] = value;
          },
          saveArtifact(name, data, opts = {}) {
            if (!FILE.test(name))
              throw new OptionsError(`callback '${c.name}': artefact name must be a plain file name (letters, digits, '.', '_', '-'), got ${JSON.stringify(name)}`);
            const folder = join(options.dir, 'artifacts');
            makeRunFolder(folder);
            const path = join(folder, name);
            writeFileAtomic(path, data, { overwrite: options.replaceArtifacts || opts.overwrite === true });
            return path;
          },
        });
      }
      return logged;
    },
    state() {
      const out: Record<string, unknown> = {};
      for (const c of callbacks) if (c.state !== undefined) out[c.name] = c.state();
      return out;
    },
    load(saved) {
      if (typeof saved !== 'object' || saved === null) return;
      for (const c of callbacks) {
        const s = (saved as Record<string, unknown>)[c.name];
        if (s !== undefined) c.load?.(s);
      }
    },
  };
}

/**
 * A run's recorded configuration and the check `resume` makes against it. A run records the
 * fields that decide its result (seed, split, data fingerprint, model, optimizer, schedule, …) in
 * every checkpoint (and the CLI also in `run.json`); resuming with a configuration that differs
 * would silently give another run (a new seed draws another validation split, so "validation" rows
 * were trained on), so resuming names the first field that differs and stops instead.
 */
import { OptionsError } from '../core/errors.js';

/** A run's configuration: JSON values, compared field by field in key order. */
export type RunConfig = Readonly<Record<string, unknown>>;

/** The first field where two configurations differ: its dotted path and both values (`undefined` = absent). */
export interface ConfigDifference {
  readonly field: string;
  readonly was: unknown;
  readonly now: unknown;
}

/** The configuration as it reads back from JSON (absent `undefined` fields, `-0` → `0`). */
export function normalizeConfig(config: RunConfig): RunConfig {
  return JSON.parse(JSON.stringify(config)) as RunConfig;
}

/**
 * The first difference between a recorded and a current configuration: keys in the current
 * one's order (objects and arrays walked depth first), then keys only the recorded one has.
 * @example firstDifference({ seed: 1, lr: 0.1 }, { seed: 7, lr: 0.2 }); // { field: 'seed', was: 1, now: 7 }
 */
export function firstDifference(recorded: unknown, current: unknown, path = ''): ConfigDifference | null {
  const walk = (a: unknown, b: unknown): boolean => typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b);
  if (!walk(recorded, current)) return Object.is(recorded, current) ? null : { field: path === '' ? '(whole configuration)' : path, was: recorded, now: current };
  const was = recorded as Record<string, unknown>;
  const now = current as Record<string, unknown>;
  if (Array.isArray(was) && Array.isArray(now) && was.length !== now.length) return { field: path, was, now };
  const keys = [...Object.keys(now), ...Object.keys(was).filter((k) => !(k in now))];
  for (const k of keys) {
    const d = firstDifference(was[k], now[k], path === '' ? k : `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

/** Options of {@link checkRunConfig}. */
export interface CheckRunConfigOptions {
  /** What is resuming, the message's first word. Default `'resume'` (the CLI says `'--resume'`). */
  readonly what?: string;
  /** The file the recorded configuration came from (named in the message). */
  readonly file: string;
  /** How to proceed. Default: resume with the run's settings or start a new run in another folder. */
  readonly hint?: string;
}

/**
 * Refuses to resume when `current` differs from `recorded` (a missing record counts as different).
 * @example checkRunConfig(ckpt.trainState['config'], config, { file: 'run/last.ckpt' });
 * @throws {OptionsError} naming the first field that differs, e.g. `resume: seed differs: run was 1, now 7 (recorded in run/last.ckpt); …`.
 */
export function checkRunConfig(recorded: unknown, current: RunConfig, options: CheckRunConfigOptions): void {
  const what = options.what ?? 'resume';
  const hint = options.hint ?? "resume with the run's settings, or start a new run in another folder";
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) {
    throw new OptionsError(`${what}: ${options.file} records no run configuration, so the run cannot be checked; ${hint}`);
  }
  const d = firstDifference(recorded, normalizeConfig(current));
  if (d === null) return;
  throw new OptionsError(`${what}: ${d.field} differs: run was ${show(d.was)}, now ${show(d.now)} (recorded in ${options.file}); ${hint}`);
}

function show(v: unknown): string {
  if (v === undefined) return 'not set';
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

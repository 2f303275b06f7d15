/**
 * The op registry: ops are found by name, so a worker thread can rebuild a pipeline from its
 * specs. Built-in ops register when their family module is imported; user ops register from
 * their own module, whose path travels in the spec (`module`) so workers import it first.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { FuseflowError, OptionsError } from '../core/errors.js';
import { specOf, type Op, type OpKind, type OpResult, type OpContext, type OpSpec } from './op.js';
import type { Sample } from '../core/sample.js';
import { containsSampler, probeSamplers } from './random/samplers.js';

/** Builds an op from its options; validates them and throws {@link OptionsError} when bad. */
export type OpFactory<O extends object> = (options: O) => Op<O>;

interface Entry {
  readonly version: number;
  readonly kind: OpKind;
  readonly factory: (options: object) => Op<object>;
  readonly module: string | undefined;
}

const registry = new Map<string, Entry>();

/** Everything needed to define an op with {@link defineOp}. */
export interface OpDefinition<O extends object, P = undefined> {
  /** Registry name, e.g. `'keys.zScore'`. */
  readonly name: string;
  /** Bump when the op's output changes for the same options (invalidates caches). */
  readonly version: number;
  /** `'random'` when the op draws from `ctx.rng`; a function for meta ops whose kind follows their children. */
  readonly kind: OpKind | ((options: O) => OpKind);
  /** Checks options when the pipeline is built; throw {@link OptionsError} with the field named. */
  readonly validate?: (options: O) => void;
  /** Precomputes per-op state once, when the op is built (child ops, lookup tables). */
  readonly prepare?: (options: O) => P;
  /** The per-sample function; `prepared` is what {@link OpDefinition.prepare} returned. */
  readonly apply: (sample: Sample, ctx: OpContext, options: O, prepared: P) => OpResult | Promise<OpResult>;
  /** Optional inverse, see {@link Op.reverse}; also receives the options and prepared state. */
  readonly reverse?: (sample: Sample, info: { readonly keyToReverse: string; readonly keyToFollow: string; readonly opId: string }, options: O, prepared: P) => Sample;
  /** Module URL or path that defines the op (pass `import.meta.url` for user ops). */
  readonly module?: string;
}

/**
 * Defines an op, registers it by name, and returns its factory.
 * @example
 * export const addOne = defineOp<{ key: string }>({
 *   name: 'my.addOne', version: 1, kind: 'static', module: import.meta.url,
 *   apply: (s, _ctx, o) => setKey(s, o.key, getKey<number>(s, o.key) + 1),
 * });
 */
export function defineOp<O extends object, P = undefined>(def: OpDefinition<O, P>): OpFactory<O> {
  const staticKind: OpKind = typeof def.kind === 'string' ? def.kind : 'static';
  const factory: OpFactory<O> = (options: O) => {
    if (typeof options !== 'object' || options === null) throw new OptionsError(`op '${def.name}': options must be an object`);
    // Options may hold parameter samplers (drawn later by random.sample): validate a probe.
    def.validate?.(containsSampler(options) ? (probeSamplers(options) as O) : options);
    const frozen = Object.freeze(specsForOps(options) as O);
    const prepared = (def.prepare === undefined ? undefined : def.prepare(frozen)) as P;
    const reverse = def.reverse;
    const op: Op<O> = {
      name: def.name,
      version: def.version,
      kind: typeof def.kind === 'function' ? def.kind(frozen) : def.kind,
      options: frozen,
      apply: (sample, ctx) => def.apply(sample, ctx, frozen, prepared),
      ...(reverse === undefined ? {} : { reverse: (sample: Sample, info: Parameters<NonNullable<Op<O>['reverse']>>[1]) => reverse(sample, info, frozen, prepared) }),
      ...(def.module === undefined ? {} : { module: def.module }),
    };
    return op;
  };
  registerOp(def.name, factory, { version: def.version, kind: staticKind, ...(def.module === undefined ? {} : { module: def.module }) });
  return factory;
}

/** Registers a factory under `name`. Registering the same name twice with another version throws. */
export function registerOp<O extends object>(name: string, factory: OpFactory<O>, meta: { version: number; kind: OpKind; module?: string }): void {
  const prev = registry.get(name);
  if (prev !== undefined && prev.version !== meta.version) {
    throw new FuseflowError(`op '${name}' is already registered with version ${prev.version}, not ${meta.version}`);
  }
  registry.set(name, { version: meta.version, kind: meta.kind, factory: factory as unknown as (options: object) => Op<object>, module: meta.module });
}

/** True when an op of that name is registered. */
export function isRegistered(name: string): boolean {
  return registry.has(name);
}

/** Names of every registered op, sorted. */
export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Rebuilds an op from its spec.
 * @throws {FuseflowError} when the name is unknown (naming the closest names) or the version differs.
 */
export function createOp(spec: OpSpec): Op<object> {
  const entry = registry.get(spec.name);
  if (entry === undefined) {
    const near = registeredOps().filter((n) => n.toLowerCase().includes(spec.name.split('.').pop()?.toLowerCase() ?? ''));
    throw new FuseflowError(
      `unknown op '${spec.name}'${near.length > 0 ? `; did you mean ${near.slice(0, 3).join(', ')}?` : ''}${spec.module === undefined ? '' : ` (module ${spec.module})`}`,
    );
  }
  if (entry.version !== spec.version) {
    throw new FuseflowError(`op '${spec.name}' spec has version ${spec.version} but the registered op is version ${entry.version}`);
  }
  return entry.factory(spec.options);
}

/** Module paths of user ops anywhere in `specs` (nested specs of meta ops included). */
export function opModulesOf(specs: readonly OpSpec[]): Set<string> {
  const modules = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
      const v = value as Partial<OpSpec>;
      if (typeof v.name === 'string' && typeof v.module === 'string') modules.add(v.module);
      Object.values(value).forEach(visit);
    }
  };
  visit(specs);
  return modules;
}

/** Imports the modules that user ops in `specs` come from, so they are registered. */
export async function importOpModules(specs: readonly OpSpec[]): Promise<void> {
  for (const m of opModulesOf(specs)) await registerModule(m);
}

/** Imports a module (a file path or URL) whose top level registers ops. */
export async function registerModule(pathOrUrl: string): Promise<void> {
  const url = /^[a-z]+:/i.test(pathOrUrl) && !isAbsolute(pathOrUrl) ? pathOrUrl : pathToFileURL(pathOrUrl).href;
  await import(url);
}

/**
 * A copy of `options` in which every built op (a child of a meta op) is replaced by its spec, so
 * op options are plain data: they hash, and they cross threads.
 */
function specsForOps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(specsForOps);
  const v = value as Partial<Op<object>>;
  if (typeof v.apply === 'function' && typeof v.name === 'string' && typeof v.version === 'number') return specOf(v as Op<object>);
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, specsForOps(x)]));
}

/**
 * The static-stage cache: each initial sample's static-pipeline outputs, as binary payloads in
 * LMDB (one value per output sample) with an entry per initial id (output ids, fields, shapes,
 * fingerprints) committed in the same transaction, and an Arrow manifest derived from the
 * entries. The folder is `<dir>/<cacheKey>`: change an op's options or version (or the salt)
 * and a new cache is built beside the old one. One cache per machine: every reader opens the
 * same LMDB file (LMDB is made for many concurrent readers); nothing is copied per worker.
 *
 * Sample ids are never used as file names: LMDB keys are SHA-256 digests of the ids, and the
 * ids themselves are stored as data, so '/', '..', spaces and any unicode are safe.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { open, type Database, type RootDatabase } from 'lmdb';
import { FuseflowError, OpError } from '../core/errors.js';
import { fingerprint } from '../core/fingerprint.js';
import { createSample, type Sample } from '../core/sample.js';
import type { Pipeline, PipelineSpec, RunKey } from '../ops/pipeline.js';
import type { StaticStore } from '../streams/contracts.js';
import { rebuildPipeline } from '../streams/rebuild-pipeline.js';
import { AuditSchedule, StaleCacheError, type AuditOptions } from './audit.js';
import { summarize, type CacheEntry } from './cache-entry.js';
import { computeEntry, type ComputedEntry, type FillResult } from './fill-worker.js';
import { fillCache, type FillOptions, type FillReport } from './fill-cache.js';
import { buildManifest, writeManifest } from './manifest.js';
import { decodePayload, encodePayload } from './payload-codec.js';
import { runTraced } from './traced-run.js';

// Opening functions live in open-cache.ts; re-exported here for modules that import them from this file.
export { openSampleCache, openCacheFolder, readDescription, type SampleCacheOptions } from './open-cache.js';

/** Static ops are deterministic; they run under this fixed key. */
export const STATIC_RUN: RunKey = { seed: 0, epoch: 0 };

/** File names inside a cache folder. */
export const CACHE_FILES = { store: 'cache.mdb', pipeline: 'pipeline.json', manifest: 'manifest.arrow' } as const;

/** Summary of a cache folder. */
export interface CacheStatus {
  readonly folder: string;
  readonly key: string;
  readonly entries: number;
  readonly outputs: number;
  readonly dropped: number;
  readonly payloadBytes: number;
}

/** One problem found by {@link SampleCache.verify}. */
export interface VerifyProblem {
  readonly initialId: string;
  readonly kind: 'missing-payload' | 'corrupt-payload' | 'stale';
  readonly message: string;
}

const idKey = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');
const payloadKey = (entryKey: string, ordinal: number): string => `${entryKey}:${ordinal}`;

/** The LMDB key (in the `payloads` database) of output `ordinal` of `initialId`, for tools that read payloads raw. */
export function payloadKeyOf(initialId: string, ordinal: number): string {
  return payloadKey(idKey(initialId), ordinal);
}

/**
 * An open cache. Implements {@link StaticStore}. Values it returns are read-only: objects and
 * arrays are frozen; typed arrays cannot be frozen, so each read returns arrays over a fresh copy
 * of the stored bytes (writing into them never reaches the cache or another reader, but treat
 * them as read-only: the worker runner copies rather than moves arrays held by frozen objects).
 */
export class SampleCache implements StaticStore {
  /** The cache folder (`<dir>/<key>`). */
  readonly folder: string;
  /** The cache key (fingerprint of the static specs and salt). */
  readonly key: string;
  readonly spec: PipelineSpec;
  private pipeline: Pipeline | undefined;
  private readonly root: RootDatabase;
  private readonly entries: Database<CacheEntry, string>;
  private readonly payloads: Database<Buffer, string>;
  private readonly schedule: AuditSchedule | undefined;
  private readonly inflight = new Map<string, Promise<readonly Sample[]>>();
  private dirty = false;

  /** @internal use `openSampleCache` or `openCacheFolder`. */
  constructor(folder: string, key: string, spec: PipelineSpec, p: Pipeline | undefined, audit: AuditOptions | false, readOnly: boolean) {
    this.folder = folder;
    this.key = key;
    this.spec = spec;
    this.pipeline = p;
    this.schedule = audit === false ? undefined : new AuditSchedule(audit);
    this.root = open({ path: join(folder, CACHE_FILES.store), maxDbs: 4, readOnly });
    this.entries = this.root.openDB<CacheEntry, string>({ name: 'entries' });
    this.payloads = this.root.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
  }

  /** True when `initialId` is committed. */
  has(initialId: string): boolean {
    return this.entries.doesExist(idKey(initialId));
  }

  /** The committed entry of `initialId` (ids, fields, shapes), without touching payloads. */
  entry(initialId: string): CacheEntry | undefined {
    return this.entries.get(idKey(initialId));
  }

  /**
   * The cached outputs of `initialId` (empty when the pipeline dropped it), or `undefined` when it
   * is not cached. Audits the read when due.
   * @throws {StaleCacheError} when an audit finds the cached value differs from a fresh run.
   */
  async get(initialId: string): Promise<readonly Sample[] | undefined> {
    return this.read(initialId, undefined);
  }

  /**
   * The static outputs of `initialId`, computing and committing them when absent: with `compute`
   * when given (the dataset's own source + static pipeline), otherwise by running the cache's
   * static pipeline op by op on `createSample(initialId)` (which also records stage fingerprints,
   * so a later audit can name the op that changed). Values come back decoded from the stored
   * bytes, identical to every later read. Concurrent calls for one id compute once.
   * @throws {OpError} when a static op fails (nothing is committed for that id).
   * @throws {StaleCacheError} when an audit finds the cached value differs from a fresh run.
   */
  async getOrCompute(initialId: string, compute?: () => Promise<readonly Sample[]>): Promise<readonly Sample[]> {
    const cached = await this.read(initialId, compute);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(initialId);
    if (pending === undefined) {
      pending = (async () => {
        const result = compute === undefined ? await computeEntry(await this.requirePipeline(), initialId, createSample(initialId), STATIC_RUN) : await this.computeWith(initialId, compute);
        if ('error' in result) throw new OpError(result.error.op ?? '?', result.error.opId ?? '?', result.error.sampleId ?? initialId, new Error(result.error.message));
        this.commit(result);
        return this.readOutputs(initialId, this.entry(initialId) as CacheEntry);
      })().finally(() => this.inflight.delete(initialId));
      this.inflight.set(initialId, pending);
    }
    return pending;
  }

  private async read(initialId: string, compute: (() => Promise<readonly Sample[]>) | undefined): Promise<readonly Sample[] | undefined> {
    const entry = this.entry(initialId);
    if (entry === undefined) return undefined;
    const outputs = this.readOutputs(initialId, entry);
    if (this.schedule?.tick() === true) await this.audit(initialId, { entry, outputs, ...(compute === undefined ? {} : { compute }) });
    return outputs;
  }

  private async computeWith(initialId: string, compute: () => Promise<readonly Sample[]>): Promise<FillResult> {
    const outputs = await compute();
    const payloads = outputs.map((o) => encodePayload(o));
    return {
      initialId,
      payloads,
      outputs: outputs.map((o, i) => summarize(o, (payloads[i] as Uint8Array).byteLength)),
      outputFingerprint: fingerprint(outputs),
      stages: [],
    };
  }

  /**
   * Computes every id not yet cached, on worker threads, committing each initial id in its own
   * LMDB transaction as soon as it arrives (so a killed fill keeps what it committed and a restart
   * computes only what is missing). Writes the manifest at the end. See {@link fillCache}.
   * Like FuseMedML's cacher, each id starts from `createSample(id)` (loading is the first static
   * op); a dataset with its own `source` fills the cache through {@link getOrCompute} instead.
   * @example await cache.fill(ids, { threads: 4, onProgress: (p) => console.log(`${p.done}/${p.total}`) });
   * @throws {OpError} under `onError: 'stop'` for the first failing sample.
   */
  fill(ids: Iterable<string>, options: FillOptions = {}): Promise<FillReport> {
    return fillCache(this, ids, options);
  }

  /**
   * The manifest built from the committed entries now (no payload is read): one row per output
   * sample and per dropped initial id. `manifest.arrow` in the folder is a snapshot of it written
   * when a fill ends or the cache closes; this is the authoritative, current view.
   * @example const labels = cache.manifest().getChild('data.label')?.toArray();
   */
  manifest(): Table {
    return buildManifest(this.entries.getRange().map(({ value }) => value));
  }

  /** Writes `manifest.arrow` (atomically) when entries were committed since it was last written, or when it is absent. */
  flushManifest(): void {
    const path = join(this.folder, CACHE_FILES.manifest);
    if (!this.dirty && existsSync(path)) return;
    writeManifest(path, this.manifest());
    this.dirty = false;
  }

  /** Counts of entries, outputs, drops and payload bytes. */
  status(): CacheStatus {
    let entries = 0;
    let outputs = 0;
    let dropped = 0;
    let payloadBytes = 0;
    for (const { value } of this.entries.getRange()) {
      entries++;
      if (value.outputs.length === 0) dropped++;
      outputs += value.outputs.length;
      for (const o of value.outputs) payloadBytes += o.bytes;
    }
    return { folder: this.folder, key: this.key, entries, outputs, dropped, payloadBytes };
  }

  /**
   * Checks every entry: its payloads exist and decode to the fingerprint recorded at commit
   * (corruption), and with `recompute` that a fresh run gives the same output (staleness, naming
   * the first op that differs).
   */
  async verify(options: { readonly recompute?: boolean; readonly onEntry?: (initialId: string) => void } = {}): Promise<VerifyProblem[]> {
    const problems: VerifyProblem[] = [];
    for (const { value: entry } of this.entries.getRange()) {
      options.onEntry?.(entry.initialId);
      let outputs: readonly Sample[];
      try {
        outputs = this.readOutputs(entry.initialId, entry);
      } catch (err) {
        problems.push({ initialId: entry.initialId, kind: 'missing-payload', message: (err as Error).message });
        continue;
      }
      if (fingerprint(outputs) !== entry.outputFingerprint) {
        problems.push({ initialId: entry.initialId, kind: 'corrupt-payload', message: `stored payloads of '${entry.initialId}' do not match the fingerprint recorded at commit` });
        continue;
      }
      if (options.recompute === true) {
        try {
          await this.audit(entry.initialId, { entry, outputs });
        } catch (err) {
          if (!(err instanceof StaleCacheError)) throw err;
          problems.push({ initialId: entry.initialId, kind: 'stale', message: err.message });
        }
      }
    }
    return problems;
  }

  /**
   * Recomputes `initialId` and compares with the cache. Entries filled by the cache itself carry
   * stage fingerprints and are recomputed op by op from `createSample(initialId)`, so a mismatch
   * names the first op whose output differs; entries computed by a caller's `compute` are
   * recomputed with `compute` when given and reported without an op.
   * @throws {StaleCacheError} naming the first op whose output differs.
   */
  async audit(
    initialId: string,
    given: { readonly entry?: CacheEntry; readonly outputs?: readonly Sample[]; readonly compute?: () => Promise<readonly Sample[]> } = {},
  ): Promise<void> {
    const entry = given.entry ?? this.entry(initialId);
    if (entry === undefined) throw new FuseflowError(`cache ${this.folder}: sample '${initialId}' is not cached`);
    const stored = given.outputs ?? this.readOutputs(initialId, entry);
    if (fingerprint(stored) !== entry.outputFingerprint) {
      throw new StaleCacheError(initialId, { detail: 'the stored payload differs from its commit fingerprint (corrupt)' });
    }
    if (entry.stages.length === 0 && given.compute !== undefined) {
      if (fingerprint(await given.compute()) !== entry.outputFingerprint) throw new StaleCacheError(initialId, { detail: 'entry computed by the caller: no stage fingerprints to name the op' });
      return;
    }
    const p = await this.requirePipeline();
    const fresh = await runTraced(p, createSample(initialId), STATIC_RUN);
    if (fingerprint(fresh.outputs) === entry.outputFingerprint) return;
    const stage = entry.stages.findIndex((fp, i) => fresh.stages[i] !== fp);
    if (stage >= 0) throw new StaleCacheError(initialId, { op: p.ops[stage]?.name ?? '?', opId: p.opIds[stage] ?? '?', stage });
    throw new StaleCacheError(initialId, { detail: 'no stage fingerprints recorded to name the op' });
  }

  /** Closes LMDB (writing the manifest first when entries were added). */
  async close(): Promise<void> {
    if (this.dirty) this.flushManifest();
    await this.root.close();
  }

  /** @internal The static pipeline, rebuilt from the recorded spec (importing its ops) on first need. */
  async requirePipeline(): Promise<Pipeline> {
    if (this.pipeline === undefined) {
      try {
        this.pipeline = await rebuildPipeline(this.spec);
      } catch (err) {
        throw new FuseflowError(`cache ${this.folder}: cannot rebuild its static pipeline (${err instanceof Error ? err.message : String(err)}); import the modules that define its ops`, { cause: err });
      }
    }
    return this.pipeline;
  }

  private readOutputs(initialId: string, entry: CacheEntry): readonly Sample[] {
    const k = idKey(initialId);
    const outputs = entry.outputs.map((o, i) => {
      const bytes = this.payloads.getBinary(payloadKey(k, i));
      if (bytes === undefined) throw new FuseflowError(`cache ${this.folder}: payload ${i} of sample '${initialId}' (output '${o.sampleId}') is missing`);
      return decodePayload(bytes);
    });
    return Object.freeze(outputs);
  }

  /** @internal Commits one computed entry in one LMDB transaction; false when it was already there. */
  commit(r: ComputedEntry): boolean {
    const k = idKey(r.initialId);
    const entry: CacheEntry = {
      initialId: r.initialId,
      status: r.outputs.length === 0 ? 'dropped' : 'ok',
      outputs: r.outputs,
      outputFingerprint: r.outputFingerprint,
      stages: r.stages,
      committedAt: Date.now(),
    };
    const wrote = this.root.transactionSync(() => {
      if (this.entries.doesExist(k)) return false;
      r.payloads.forEach((bytes, i) => {
        void this.payloads.put(payloadKey(k, i), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      });
      void this.entries.put(k, entry);
      return true;
    });
    if (wrote) this.dirty = true;
    return wrote;
  }
}

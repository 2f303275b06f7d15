/**
 * The static-stage cache: each initial sample's static-pipeline outputs, as binary payloads in
 * LMDB (one value per output sample) with an entry per initial id (output ids, fields, shapes,
 * fingerprints, input-file identities, a checksum) committed in the same transaction, and an
 * Arrow manifest derived from the entries. The folder is `<dir>/<cacheKey>`: change an op's
 * options or version (or the salt) and a new cache is built beside the old one. One cache per
 * machine: every reader opens the same LMDB file (LMDB is made for many concurrent readers);
 * nothing is copied per worker. Storage details live in entry-store.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { FuseflowError, OpError } from '../core/errors.js';
import { fingerprint } from '../core/fingerprint.js';
import { createSample, type Sample } from '../core/sample.js';
import { pipelineSpec, type Pipeline, type PipelineSpec } from '../ops/pipeline.js';
import { withFileReads } from '../ops/file-reads.js';
import type { StaticStore } from '../workers/contracts.js';
import { AuditSchedule, StaleCacheError, type AuditOptions } from './audit.js';
import { CACHE_FILES } from './cache-files.js';
import { summarize, type CacheEntry } from './cache-entry.js';
import { EntryStore, type EntryStoreView } from './entry-store.js';
import { computeEntry, type ComputedEntry, type FillResult } from './fill-worker.js';
import { fillCache, type FillOptions, type FillReport } from './fill-cache.js';
import { changedInput, identify } from './input-files.js';
import { buildManifest, writeManifest } from './manifest.js';
import { encodePayload } from './payload-codec.js';
import { STATIC_RUN } from './static-run.js';
import { runTraced } from './traced-run.js';
import { verifyCache, type VerifyOptions, type VerifyProblem } from './verify-cache.js';
import { trustedPipeline } from './trusted-pipeline.js';

export { payloadKeyOf } from './entry-store.js';
export type { VerifyProblem, VerifyOptions } from './verify-cache.js';

/** Summary of a cache folder. */
export interface CacheStatus {
  readonly folder: string;
  readonly key: string;
  readonly entries: number;
  readonly outputs: number;
  readonly dropped: number;
  readonly payloadBytes: number;
}

/** Options of the {@link SampleCache} constructor. */
export interface SampleCacheInit {
  readonly folder: string;
  readonly key: string;
  readonly spec: PipelineSpec;
  /** The live static pipeline (caches opened by pipeline); absent for caches opened from a folder. */
  readonly pipeline?: Pipeline;
  readonly audit: AuditOptions | false;
  readonly readOnly: boolean;
  /** Modules the user named that define the pipeline's user ops (caches opened from a folder). */
  readonly opsModules?: readonly string[];
  /** The store to read (a sharded cache's shards as one); default the folder's own `cache.mdb`. */
  readonly store?: EntryStoreView;
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
  private readonly store: EntryStoreView;
  private readonly opsModules: readonly string[];
  private readonly schedule: AuditSchedule | undefined;
  private readonly inflight = new Map<string, Promise<readonly Sample[]>>();
  private dirty = false;

  /**
   * @internal use `openSampleCache` or `openCacheFolder`.
   * @throws {InputError} naming `cache.mdb` when it is not a sound LMDB file (checked before LMDB maps it).
   */
  constructor(init: SampleCacheInit) {
    this.folder = init.folder;
    this.key = init.key;
    this.spec = init.spec;
    this.pipeline = init.pipeline;
    this.opsModules = init.opsModules ?? [];
    this.schedule = init.audit === false ? undefined : new AuditSchedule(init.audit);
    this.store = init.store ?? new EntryStore(init.folder, CACHE_FILES.store, init.readOnly);
  }

  /** True when `initialId` is committed and its input files are unchanged. */
  has(initialId: string): boolean {
    const entry = this.entry(initialId);
    return entry !== undefined && changedInput(entry.inputs) === undefined;
  }

  /**
   * The committed entry of `initialId` (ids, fields, shapes, input files), without touching payloads.
   * @throws {InputError} naming the cache folder when the record is damaged.
   */
  entry(initialId: string): CacheEntry | undefined {
    return this.store.entry(initialId);
  }

  /**
   * The cached outputs of `initialId` (empty when the pipeline dropped it), or `undefined` when it
   * is not cached or a file it was computed from changed on disk (stale: never served). The
   * entry's checksum is checked on every read. Audits the read when due.
   * @throws {InputError} naming the cache folder, the sample id and "checksum mismatch" when the
   *   entry or its payloads changed after commit (or naming the file when LMDB itself is damaged).
   * @throws {StaleCacheError} when an audit finds the cached value differs from a fresh run.
   */
  async get(initialId: string): Promise<readonly Sample[] | undefined> {
    return this.read(initialId, undefined);
  }

  /**
   * The static outputs of `initialId`, computing and committing them when absent: with `compute`
   * when given (the dataset's own source + static pipeline), otherwise by running the cache's
   * static pipeline op by op on `createSample(initialId)` (which also records stage fingerprints,
   * so a later audit can name the op that changed, and the identity of the files it read). An
   * entry whose input files changed on disk is stale: it is recomputed and replaced. Values come
   * back decoded from the stored bytes, identical to every later read. Concurrent calls for one
   * id compute once.
   * @throws {OpError} when a static op fails (nothing is committed for that id).
   * @throws {StaleCacheError} when an audit finds the cached value differs from a fresh run.
   */
  async getOrCompute(initialId: string, compute?: () => Promise<readonly Sample[]>): Promise<readonly Sample[]> {
    const cached = await this.read(initialId, compute);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(initialId);
    if (pending === undefined) {
      pending = (async () => {
        const result =
          compute === undefined ? await computeEntry(await this.requirePipeline(), initialId, createSample(initialId), STATIC_RUN) : await this.computeWith(initialId, compute);
        if ('error' in result) throw new OpError(result.error.op ?? '?', result.error.opId ?? '?', result.error.sampleId ?? initialId, new Error(result.error.message));
        this.commit(result);
        const entry = this.entry(initialId);
        if (entry === undefined) throw new FuseflowError(`cache ${this.folder}: sample '${initialId}' was committed but cannot be read back`);
        return this.store.readOutputs(initialId, entry);
      })().finally(() => this.inflight.delete(initialId));
      this.inflight.set(initialId, pending);
    }
    return pending;
  }

  private async read(initialId: string, compute: (() => Promise<readonly Sample[]>) | undefined): Promise<readonly Sample[] | undefined> {
    const entry = this.entry(initialId);
    if (entry === undefined || changedInput(entry.inputs) !== undefined) return undefined;
    const outputs = this.store.readOutputs(initialId, entry);
    if (this.schedule?.tick() === true) await this.audit(initialId, { entry, outputs, ...(compute === undefined ? {} : { compute }) });
    return outputs;
  }

  private async computeWith(initialId: string, compute: () => Promise<readonly Sample[]>): Promise<FillResult> {
    const { value: outputs, files } = await withFileReads(compute);
    const payloads = outputs.map((o) => encodePayload(o));
    return {
      initialId,
      payloads,
      outputs: outputs.map((o, i) => summarize(o, (payloads[i] as Uint8Array).byteLength)),
      outputFingerprint: fingerprint(outputs),
      stages: [],
      inputs: identify(files),
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
    return buildManifest(this.store.all());
  }

  /**
   * Writes `manifest.arrow` (atomically: temp → fsync → rename, the temp removed on failure) when
   * entries were committed since it was last written, or when it is absent.
   * @throws {OutputError} naming the manifest when it cannot be written (full disk, read-only).
   */
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
    for (const value of this.store.all()) {
      entries++;
      if (value.outputs.length === 0) dropped++;
      outputs += value.outputs.length;
      for (const o of value.outputs) payloadBytes += o.bytes;
    }
    return { folder: this.folder, key: this.key, entries, outputs, dropped, payloadBytes };
  }

  /**
   * Checks every entry: its record decodes, its checksum matches its metadata and payloads, the
   * payloads decode to the fingerprint recorded at commit, its input files are unchanged, and
   * with `recompute` that a fresh run gives the same output (staleness, naming the first op that
   * differs). Problems are returned, not thrown. See {@link verifyCache}.
   * @throws {FuseflowError} with `recompute`, when the static pipeline cannot be rebuilt (user ops
   *   not loaded: the message names the flag to pass).
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyProblem[]> {
    if (options.recompute === true) await this.requirePipeline();
    return verifyCache({ folder: this.folder, store: this.store, audit: (id, entry) => this.audit(id, { entry }) }, options);
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
    const stored = given.outputs ?? this.store.readOutputs(initialId, entry);
    if (fingerprint(stored) !== entry.outputFingerprint) {
      throw new StaleCacheError(initialId, { detail: 'the stored payload differs from its commit fingerprint (corrupt)' });
    }
    if (entry.stages.length === 0 && given.compute !== undefined) {
      if (fingerprint(await given.compute()) !== entry.outputFingerprint)
        throw new StaleCacheError(initialId, { detail: 'entry computed by the caller: no stage fingerprints to name the op' });
      return;
    }
    const p = await this.requirePipeline();
    const fresh = await runTraced(p, createSample(initialId), STATIC_RUN);
    if (fingerprint(fresh.outputs) === entry.outputFingerprint) return;
    const stage = entry.stages.findIndex((fp, i) => fresh.stages[i] !== fp);
    if (stage >= 0) throw new StaleCacheError(initialId, { op: p.ops[stage]?.name ?? '?', opId: p.opIds[stage] ?? '?', stage });
    throw new StaleCacheError(initialId, { detail: 'no stage fingerprints recorded to name the op' });
  }

  /**
   * Closes LMDB (writing the manifest first when entries were added; LMDB is closed even when that fails).
   * @throws {OutputError} naming the manifest when it cannot be written.
   */
  async close(): Promise<void> {
    try {
      if (this.dirty) this.flushManifest();
    } finally {
      await this.store.close();
    }
  }

  /**
   * @internal The static pipeline: the live one, or rebuilt from the recorded spec on first need
   * with built-in ops and the user's own modules only (never modules named by `pipeline.json`).
   */
  async requirePipeline(): Promise<Pipeline> {
    this.pipeline ??= await trustedPipeline(this.folder, this.spec, this.opsModules);
    return this.pipeline;
  }

  /** @internal The spec worker threads rebuild: from the trusted pipeline, so its modules are the user's. */
  async workerSpec(): Promise<PipelineSpec> {
    return pipelineSpec(await this.requirePipeline());
  }

  /**
   * @internal Commits one computed entry in one LMDB transaction (replacing a stale one whose input
   * files changed); false when a fresh entry was already there.
   * @throws {OutputError} naming the cache folder when the disk is full or failing.
   */
  commit(r: ComputedEntry): boolean {
    const wrote = this.store.put(r, (old) => changedInput(old.inputs) === undefined);
    if (wrote) this.dirty = true;
    return wrote;
  }
}

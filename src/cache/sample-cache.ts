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
import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { open, type Database, type RootDatabase } from 'lmdb';
import { FuseflowError, InputError, OpError } from '../core/errors.js';
import { fingerprint } from '../core/fingerprint.js';
import { outputErrorOf } from '../core/safe-fs.js';
import { createSample, type Sample } from '../core/sample.js';
import { pipelineSpec, type Pipeline, type PipelineSpec, type RunKey } from '../ops/pipeline.js';
import type { StaticStore } from '../streams/contracts.js';
import { AuditSchedule, StaleCacheError, type AuditOptions } from './audit.js';
import { summarize, type CacheEntry } from './cache-entry.js';
import { checksumMatches, decodeEntry, encodeEntry } from './entry-record.js';
import { computeEntry, type ComputedEntry, type FillResult } from './fill-worker.js';
import { fillCache, type FillOptions, type FillReport } from './fill-cache.js';
import { changedInput } from './input-files.js';
import { checkLmdbFile } from './lmdb-check.js';
import { buildManifest, writeManifest } from './manifest.js';
import { decodePayload, encodePayload } from './payload-codec.js';
import { runTraced } from './traced-run.js';
import { trustedPipeline } from './trusted-pipeline.js';

// Opening functions live in open-cache.ts; re-exported here for modules that import them from this file.
export { openSampleCache, openCacheFolder, readDescription, type SampleCacheOptions } from './open-cache.js';

/** Static ops are deterministic; they run under this fixed key. */
export const STATIC_RUN: RunKey = { seed: 0, epoch: 0 };

/** File names inside a cache folder (the marker lists the files the cache makes: see cache-marker.ts). */
export const CACHE_FILES = { store: 'cache.mdb', pipeline: 'pipeline.json', manifest: 'manifest.arrow', marker: '.fuseflow-cache.json' } as const;

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
  /**
   * `damaged-entry`: the entry record does not decode; `checksum-mismatch`: metadata or payload bytes
   * changed after commit; `missing-payload`; `corrupt-payload`: payloads decode but differ from the
   * commit fingerprint; `stale-input`: a file the pipeline read changed on disk; `stale`: a fresh run
   * differs (with `recompute`).
   */
  readonly kind: 'damaged-entry' | 'checksum-mismatch' | 'missing-payload' | 'corrupt-payload' | 'stale-input' | 'stale';
  readonly message: string;
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
  private readonly entries: Database<Buffer, string>;
  private readonly opsModules: readonly string[];
  private readonly payloads: Database<Buffer, string>;
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
    const store = join(init.folder, CACHE_FILES.store);
    checkLmdbFile(store);
    try {
      this.root = open({ path: store, maxDbs: 4, readOnly: init.readOnly });
      this.entries = this.root.openDB<Buffer, string>({ name: 'entries', encoding: 'binary' });
      this.payloads = this.root.openDB<Buffer, string>({ name: 'payloads', encoding: 'binary' });
    } catch (err) {
      throw new InputError(`LMDB cannot open it (${err instanceof Error ? err.message : String(err)})`, { file: store });
    }
  }

  /** Runs an LMDB read, turning LMDB's own errors (a damaged tree) into an InputError naming the file. */
  private lmdb<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof FuseflowError) throw err;
      throw new InputError(`LMDB read failed (${err instanceof Error ? err.message : String(err)}); the cache is damaged: delete it and refill`, { file: join(this.folder, CACHE_FILES.store) });
    }
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
    const k = idKey(initialId);
    const bytes = this.lmdb(() => this.entries.getBinary(k));
    return bytes === undefined ? undefined : decodeEntry(bytes, this.folder, `of sample '${initialId}'`);
  }

  /** Every committed entry, decoded (a damaged record throws an InputError naming the folder). */
  private *allEntries(): Generator<CacheEntry> {
    for (const { key, value } of this.lmdb(() => [...this.entries.getRange()])) yield decodeEntry(value, this.folder, `'${key}'`);
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
        const result = compute === undefined ? await computeEntry(await this.requirePipeline(), initialId, createSample(initialId), STATIC_RUN) : await this.computeWith(initialId, compute);
        if ('error' in result) throw new OpError(result.error.op ?? '?', result.error.opId ?? '?', result.error.sampleId ?? initialId, new Error(result.error.message));
        this.commit(result);
        const entry = this.entry(initialId);
        if (entry === undefined) throw new FuseflowError(`cache ${this.folder}: sample '${initialId}' was committed but cannot be read back`);
        return this.readOutputs(initialId, entry);
      })().finally(() => this.inflight.delete(initialId));
      this.inflight.set(initialId, pending);
    }
    return pending;
  }

  private async read(initialId: string, compute: (() => Promise<readonly Sample[]>) | undefined): Promise<readonly Sample[] | undefined> {
    const entry = this.entry(initialId);
    if (entry === undefined || changedInput(entry.inputs) !== undefined) return undefined;
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
      inputs: [],
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
    return buildManifest(this.allEntries());
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
    for (const value of this.allEntries()) {
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
   * differs). Problems are returned, not thrown.
   * @throws {FuseflowError} with `recompute`, when the static pipeline cannot be rebuilt (user ops
   *   not loaded: the message names the flag to pass).
   */
  async verify(options: { readonly recompute?: boolean; readonly onEntry?: (initialId: string) => void } = {}): Promise<VerifyProblem[]> {
    if (options.recompute === true) await this.requirePipeline();
    const problems: VerifyProblem[] = [];
    for (const { key, value } of this.lmdb(() => [...this.entries.getRange()])) {
      let entry: CacheEntry;
      try {
        entry = decodeEntry(value, this.folder, `'${key}'`);
      } catch (err) {
        options.onEntry?.(key);
        problems.push({ initialId: `(record ${key})`, kind: 'damaged-entry', message: (err as Error).message });
        continue;
      }
      options.onEntry?.(entry.initialId);
      if (idKey(entry.initialId) !== key) {
        problems.push({ initialId: entry.initialId, kind: 'damaged-entry', message: `cache ${this.folder}: record '${key}' holds the entry of '${entry.initialId}', whose key differs (damaged LMDB key)` });
        continue;
      }
      const problem = this.check(entry);
      if (problem !== undefined) {
        problems.push(problem);
        continue;
      }
      if (options.recompute === true) {
        try {
          await this.audit(entry.initialId, { entry });
        } catch (err) {
          if (!(err instanceof StaleCacheError)) throw err;
          problems.push({ initialId: entry.initialId, kind: 'stale', message: err.message });
        }
      }
    }
    return problems;
  }

  /** The first problem of one decoded entry (without recomputing), or `undefined`. */
  private check(entry: CacheEntry): VerifyProblem | undefined {
    const id = entry.initialId;
    let outputs: readonly Sample[];
    try {
      outputs = this.readOutputs(id, entry);
    } catch (err) {
      const message = (err as Error).message;
      return { initialId: id, kind: /checksum mismatch/.test(message) ? 'checksum-mismatch' : /is missing/.test(message) ? 'missing-payload' : 'corrupt-payload', message };
    }
    if (fingerprint(outputs) !== entry.outputFingerprint) {
      return { initialId: id, kind: 'corrupt-payload', message: `stored payloads of '${id}' do not match the fingerprint recorded at commit` };
    }
    const changed = changedInput(entry.inputs);
    if (changed !== undefined) {
      return { initialId: id, kind: 'stale-input', message: `input ${changed.kind} ${changed.path} changed on disk since '${id}' was cached; the next read recomputes it` };
    }
    return undefined;
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

  /**
   * Closes LMDB (writing the manifest first when entries were added; LMDB is closed even when that fails).
   * @throws {OutputError} naming the manifest when it cannot be written.
   */
  async close(): Promise<void> {
    try {
      if (this.dirty) this.flushManifest();
    } finally {
      await this.root.close();
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

  /** Reads, checks (checksum over metadata and payloads) and decodes the outputs of one entry. */
  private readOutputs(initialId: string, entry: CacheEntry): readonly Sample[] {
    const k = idKey(initialId);
    const bytes = entry.outputs.map((o, i) => {
      const b = this.lmdb(() => this.payloads.getBinary(payloadKey(k, i)));
      if (b === undefined) throw new InputError(`payload ${i} of sample '${initialId}' (output '${o.sampleId}') is missing`, { file: this.folder });
      return b;
    });
    if (entry.initialId !== initialId || !checksumMatches(entry, bytes)) {
      throw new InputError(`sample '${initialId}': checksum mismatch (its entry or payloads changed after commit); the cache is damaged: run fuseflow cache verify, then delete it and refill`, { file: this.folder });
    }
    const outputs = bytes.map((b, i) => {
      try {
        return decodePayload(b);
      } catch (err) {
        throw new InputError(`payload ${i} of sample '${initialId}' does not decode (${err instanceof Error ? err.message : String(err)})`, { file: this.folder });
      }
    });
    return Object.freeze(outputs);
  }

  /**
   * @internal Commits one computed entry in one LMDB transaction (replacing a stale one whose input
   * files changed); false when a fresh entry was already there.
   * @throws {OutputError} naming the cache folder when the disk is full or failing.
   */
  commit(r: ComputedEntry): boolean {
    const k = idKey(r.initialId);
    const entry: Omit<CacheEntry, 'checksum'> = {
      initialId: r.initialId,
      status: r.outputs.length === 0 ? 'dropped' : 'ok',
      outputs: r.outputs,
      outputFingerprint: r.outputFingerprint,
      stages: r.stages,
      committedAt: Date.now(),
      inputs: r.inputs,
    };
    const record = encodeEntry(entry, r.payloads);
    let wrote: boolean;
    try {
      wrote = this.root.transactionSync(() => {
        const old = this.entry(r.initialId);
        if (old !== undefined && changedInput(old.inputs) === undefined) return false;
        for (let i = r.payloads.length; i < (old?.outputs.length ?? 0); i++) void this.payloads.remove(payloadKey(k, i));
        r.payloads.forEach((bytes, i) => {
          void this.payloads.put(payloadKey(k, i), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        });
        void this.entries.put(k, record);
        return true;
      });
    } catch (err) {
      if (err instanceof FuseflowError) throw err;
      throw fillErrorOf(this.folder, err, record.byteLength + r.payloads.reduce((n, p) => n + p.byteLength, 0));
    }
    if (wrote) this.dirty = true;
    return wrote;
  }
}

/**
 * A failed LMDB commit as an OutputError naming the cache folder. LMDB reports errno in its
 * message ("Error 5 Input/output error" is what a full disk gives, as LMDB writes through its
 * map); an I/O error while the folder's file system has less free space than the entry needs
 * (plus 1 MiB) is reported as a full disk.
 */
function fillErrorOf(folder: string, err: unknown, needed: number): FuseflowError {
  const message = err instanceof Error ? err.message : String(err);
  const text = `${(err as NodeJS.ErrnoException | undefined)?.code ?? ''} ${message}`;
  let code: string | undefined;
  if (/ENOSPC|No space left|MDB_MAP_FULL/i.test(text)) code = 'ENOSPC';
  else if (/EDQUOT|quota/i.test(text)) code = 'EDQUOT';
  else if (/EIO|Input\/output error|Error 5\b/i.test(text)) code = freeBytes(folder) < needed + 2 ** 20 ? 'ENOSPC' : 'EIO';
  const mapped = Object.assign(new Error(message), code === undefined ? {} : { code });
  return outputErrorOf(folder, mapped, 'cannot commit to the cache (every sample committed before is kept; run the fill again to add the rest)');
}

/** Free bytes for unprivileged users on the file system holding `folder` (Infinity when unknown). */
function freeBytes(folder: string): number {
  try {
    const s = statfsSync(folder);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

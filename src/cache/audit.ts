/**
 * Cache audits (FuseMedML's SampleCachingAudit): recompute a sample from its initial id and
 * compare it with what the cache holds — the first sample read, then every N samples or every N
 * minutes. Stage fingerprints recorded at fill time let a mismatch name the first op whose
 * output changed (typically an op whose code changed without a version bump).
 */
import { FuseflowError, OptionsError } from '../core/errors.js';

/** When to audit. */
export interface AuditOptions {
  /** Audit the first sample read. Default `true`. */
  readonly firstSample?: boolean;
  /** Audit every this many reads. Default: none. */
  readonly everySamples?: number;
  /** Audit when this many minutes passed since the last audit. Default 30 when `everySamples` is not given. */
  readonly everyMinutes?: number;
}

/** A cached sample differs from a fresh run of the static pipeline. */
export class StaleCacheError extends FuseflowError {
  readonly initialId: string;
  /** The first op whose output differs (absent when the entry carries no stage fingerprints). */
  readonly op: string | undefined;
  readonly opId: string | undefined;
  readonly stage: number | undefined;
  constructor(initialId: string, where: { op?: string; opId?: string; stage?: number; detail?: string } = {}) {
    const at = where.op === undefined ? '' : ` first at op '${where.op}' (id '${where.opId ?? '?'}', stage ${where.stage ?? '?'})`;
    super(
      `stale cache: sample '${initialId}' differs from a fresh run of the static pipeline${at}${where.detail === undefined ? '' : ` (${where.detail})`}; ` +
        `an op's code probably changed without a version bump — bump its version or delete the cache (fuseflow cache delete DIR)`,
    );
    this.initialId = initialId;
    this.op = where.op;
    this.opId = where.opId;
    this.stage = where.stage;
  }
}

/** Decides when an audit is due. */
export class AuditSchedule {
  private reads = 0;
  private lastRead = 0;
  private lastTime: number;
  private readonly everySamples: number | undefined;
  private readonly everyMs: number | undefined;
  private readonly first: boolean;

  /** @throws {OptionsError} when a rate is not a positive number. */
  constructor(options: AuditOptions, now: () => number = Date.now) {
    this.now = now;
    for (const k of ['everySamples', 'everyMinutes'] as const) {
      const v = options[k];
      if (v !== undefined && !(typeof v === 'number' && v > 0)) throw new OptionsError(`audit.${k} must be a positive number, got ${String(v)}`);
    }
    this.first = options.firstSample ?? true;
    this.everySamples = options.everySamples;
    const minutes = options.everyMinutes ?? (options.everySamples === undefined ? 30 : undefined);
    this.everyMs = minutes === undefined ? undefined : minutes * 60_000;
    this.lastTime = now();
  }

  private readonly now: () => number;

  /** Counts one read; true when that read should be audited. */
  tick(): boolean {
    this.reads++;
    let due = false;
    if (this.reads === 1 && this.first) due = true;
    if (this.everySamples !== undefined && this.reads - this.lastRead >= this.everySamples) due = true;
    if (this.everyMs !== undefined && this.now() - this.lastTime >= this.everyMs) due = true;
    if (due) {
      this.lastRead = this.reads;
      this.lastTime = this.now();
    }
    return due;
  }
}

/**
 * What the cache remembers per initial sample id (stored in LMDB beside the payloads, in the same
 * transaction): the output ids (none when the pipeline dropped the sample, several when it split
 * it), each output's scalar fields and tensor shapes for the manifest, fingerprints for
 * verification and audits, the identity of the input files read, and a checksum over it all.
 */
import { isTensor } from '../core/tensor.js';
import { sampleIdOf, type Sample } from '../core/sample.js';
import { isBranch } from '../core/sample.js';
import type { FileIdentity } from './input-files.js';

/** Scalar fields and shapes of one output sample. */
export interface OutputSummary {
  readonly sampleId: string;
  /** Bytes of the encoded payload. */
  readonly bytes: number;
  /** Leaves that are numbers, strings or booleans, by key path. */
  readonly fields: Readonly<Record<string, number | string | boolean>>;
  /** Shapes of tensors (and lengths of bare typed arrays), by key path. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
}

/** One committed initial sample. */
export interface CacheEntry {
  readonly initialId: string;
  readonly status: 'ok' | 'dropped';
  readonly outputs: readonly OutputSummary[];
  /** Fingerprint of the output list (what verification re-derives from the payloads). */
  readonly outputFingerprint: string;
  /** Fingerprint of the samples after each static op; empty when the entry was not traced. */
  readonly stages: readonly string[];
  /** Milliseconds since the epoch when committed. */
  readonly committedAt: number;
  /** The files the static pipeline read for this entry (size, mtime, content hash); a change makes the entry stale. */
  readonly inputs: readonly FileIdentity[];
  /** SHA-256 over this entry's other fields and each payload's length and lane digest (see entry-record.ts); checked on every read. */
  readonly checksum: string;
}

/** Fields and shapes of one sample (walks the tree; tensors are not descended into). */
export function summarize(sample: Sample, bytes: number): OutputSummary {
  const fields: Record<string, number | string | boolean> = {};
  const shapes: Record<string, readonly number[]> = {};
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') fields[path] = value;
    else if (isTensor(value)) shapes[path] = [...value.shape];
    else if (ArrayBuffer.isView(value)) shapes[path] = [(value as unknown as { length: number }).length];
    else if (isBranch(value)) for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(sample, '');
  return { sampleId: sampleIdOf(sample), bytes, fields, shapes };
}

/**
 * Piscina worker that computes static-pipeline outputs for the cache filler: it rebuilds the
 * pipeline from its spec, runs each initial id op by op (recording stage fingerprints), encodes
 * the outputs, records the identity of every file the static ops read, and sends the bytes back
 * in the transfer list. The main thread commits them.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { OpError } from '../core/errors.js';
import { createSample, type Sample } from '../core/sample.js';
import { fingerprint } from '../core/fingerprint.js';
import type { Pipeline, PipelineSpec, RunKey } from '../ops/pipeline.js';
import { rebuildPipeline } from '../workers/rebuild-pipeline.js';
import { encodePayload } from './payload-codec.js';
import { summarize, type OutputSummary } from './cache-entry.js';
import { withFileReads } from '../ops/file-reads.js';
import { identify, type FileIdentity } from './input-files.js';
import { runTraced } from './traced-run.js';

/** One fill task: initial ids to compute. */
export interface FillTask {
  /** The static pipeline's spec; its user-op modules were vetted by the main thread. */
  readonly spec: PipelineSpec;
  readonly ids: readonly string[];
  readonly run: RunKey;
}

/** One initial id's outputs, encoded and summarized, ready to commit. */
export interface ComputedEntry {
  readonly initialId: string;
  readonly payloads: readonly Uint8Array[];
  readonly outputs: readonly OutputSummary[];
  readonly outputFingerprint: string;
  readonly stages: readonly string[];
  /** Files the static ops read (size, mtime, content hash). */
  readonly inputs: readonly FileIdentity[];
}

/** A computed entry or the error of one id. */
export type FillResult =
  ComputedEntry | { readonly initialId: string; readonly error: { readonly message: string; readonly op?: string; readonly opId?: string; readonly sampleId?: string } };

/** Computes and encodes one initial id from `initial` (also used in-thread by the cache). */
export async function computeEntry(p: Pipeline, initialId: string, initial: Sample, run: RunKey): Promise<FillResult> {
  try {
    const { value: traced, files } = await withFileReads(() => runTraced(p, initial, run));
    const payloads = traced.outputs.map((s) => encodePayload(s));
    return {
      initialId,
      payloads,
      outputs: traced.outputs.map((s, i) => summarize(s, (payloads[i] as Uint8Array).byteLength)),
      outputFingerprint: fingerprint(traced.outputs),
      stages: traced.stages,
      inputs: identify(files),
    };
  } catch (err) {
    if (err instanceof OpError) return { initialId, error: { message: err.message, op: err.op, opId: err.opId, sampleId: err.sampleId } };
    return { initialId, error: { message: err instanceof Error ? err.message : String(err) } };
  }
}

/** Piscina entry point (run with `{ name: 'fill' }`). */
export async function fill(task: FillTask): Promise<unknown> {
  const p = await rebuildPipeline(task.spec);
  const results: FillResult[] = [];
  for (const id of task.ids) results.push(await computeEntry(p, id, createSample(id), task.run));
  const transfer = results.flatMap((r) => ('payloads' in r ? r.payloads.map((b) => b.buffer) : []));
  return move({ [transferableSymbol]: transfer, [valueSymbol]: results });
}

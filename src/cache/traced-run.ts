/**
 * Runs a pipeline one op at a time over every sample alive at that stage, recording a
 * fingerprint of the samples after each op. The outputs equal `runPipeline`'s (same order, same
 * op ids and op indices); the fingerprints let an audit name the first op whose output changed.
 */
import { fingerprint } from '../core/fingerprint.js';
import type { Sample } from '../core/sample.js';
import { withId } from '../ops/op.js';
import { pipeline, runPipeline, type Pipeline, type RunKey } from '../ops/pipeline.js';

/** Outputs and one fingerprint per op (of all samples after that op). */
export interface TracedRun {
  readonly outputs: Sample[];
  readonly stages: string[];
}

/** Single-op pipelines that keep the op's id and index in the whole pipeline. */
export function stagesOf(p: Pipeline): Pipeline[] {
  return p.ops.map((op, i) => pipeline([withId(op, p.opIds[i] as string)], { name: p.name, opIndexBase: p.opIndexBase + i }));
}

/**
 * Runs `sample` through `p` stage by stage.
 * @throws {OpError} naming op, op id and sample id when an op fails.
 */
export async function runTraced(p: Pipeline, sample: Sample, run: RunKey, stop?: (stage: number, fp: string) => boolean): Promise<TracedRun> {
  let current: Sample[] = [sample];
  const stages: string[] = [];
  const singles = stagesOf(p);
  for (let i = 0; i < singles.length; i++) {
    const next: Sample[] = [];
    for (const s of current) next.push(...(await runPipeline(singles[i] as Pipeline, s, run)));
    current = next;
    const fp = fingerprint(current);
    stages.push(fp);
    if (stop?.(i, fp) === true) break;
  }
  return { outputs: current, stages };
}

/**
 * The top level of a sharded cache in a shared folder: description, plan and marker, written once
 * by the first filler and checked by every other.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { outputErrorOf, writeFileAtomic } from '../../core/safe-fs.js';
import { pipelineSpec } from '../../ops/pipeline.js';
import { descriptionText, readDescriptionFile } from '../cache-description.js';
import { cacheKey, CACHE_FORMAT_VERSION } from '../cache-key.js';
import { MARKER_FILE } from '../cache-marker.js';
import { CACHE_FILES } from '../cache-files.js';
import type { DatasetDefinition } from './dataset-module.js';
import { markerText, planText, readPlan, SHARDED_FILES, TOP_FILES, type ShardPlan } from './shard-files.js';

/** Writes `text` to `file` unless it exists (another filler may write it first). */
function writeOnce(file: string, text: string): void {
  if (existsSync(file)) return;
  try {
    writeFileAtomic(file, text);
  } catch (err) {
    if (!existsSync(file)) throw err;
  }
}

/**
 * Creates (or checks) the top level of the sharded cache at `to`: description, plan and marker.
 * @throws {InputError} naming the file when `to` holds another pipeline's cache or another shard count.
 */
export function preparePlan(to: string, dataset: DatasetDefinition, shards: number): ShardPlan {
  const spec = pipelineSpec(dataset.staticPipeline);
  const key = cacheKey(spec, dataset.salt);
  try {
    mkdirSync(to, { recursive: true });
  } catch (err) {
    throw outputErrorOf(to, err, 'cannot create the shared cache folder');
  }
  const descFile = join(to, CACHE_FILES.pipeline);
  writeOnce(descFile, descriptionText({ format: CACHE_FORMAT_VERSION, key, salt: dataset.salt, spec, createdAt: new Date().toISOString() }));
  const desc = readDescriptionFile(to);
  if (desc.key !== key) {
    throw new InputError(`holds the cache of another static pipeline or salt (key ${desc.key.slice(0, 12)}…, this dataset's is ${key.slice(0, 12)}…); fill into another folder`, {
      file: descFile,
    });
  }
  writeOnce(join(to, SHARDED_FILES.plan), planText(key, shards));
  writeOnce(join(to, MARKER_FILE), markerText(key, TOP_FILES));
  const plan = readPlan(to);
  if (plan === undefined || plan.key !== key) throw new InputError('the plan does not match pipeline.json (damaged)', { file: join(to, SHARDED_FILES.plan) });
  if (plan.shards !== shards) {
    throw new InputError(`this sharded cache was planned with ${plan.shards} shards, this fill says --shards ${shards}; use the same count, or another folder`, {
      file: join(to, SHARDED_FILES.plan),
    });
  }
  return plan;
}

import { setKeys } from '../../core/sample.js';
import { OptionsError } from '../../core/errors.js';
import { noteFileRead } from '../../ops/file-reads.js';
import { defineOp } from '../../ops/registry.js';
import { checkKey } from '../../ops/validate.js';
import { memoizedFile } from '../common/file-memo.js';
import { requireFile } from '../common/require-file.js';
import { encodeKnightClinical, knightLabels, knightRecord, readKnightJson } from './knight-clinical-data.js';

/** Options of {@link knightClinical}. */
export interface KnightClinicalOptions {
  /** The clinical JSON: `knight.json` (training cases) or `features.json` (test cases). */
  readonly file: string;
  /** Also write the task labels from `aua_risk_group` (training cases). Default true. */
  readonly labels?: boolean;
  /** Key of the 11-feature float32 vector. Default `'data.input.clinical.all'`. */
  readonly outKey?: string;
}

const NAME = 'knight.clinical';

/**
 * Looks the sample's case up in KNIGHT's clinical JSON and writes FuseMedML's baseline encoding:
 * `data.input.case_id`, the 11 features as a float32 tensor at `outKey` (see
 * `encodeKnightClinical` for the encoding of each field and of missing values) and, with
 * `labels`, `data.gt.gt_global.task_1_label` (0 NoAT, 1 CanAT) and
 * `data.gt.gt_global.task_2_label` (0–4: B, LR, IR, HR, VHR). Static; the JSON is parsed once
 * per thread and recorded as an input of the sample (a cache entry goes stale when it changes).
 * @example knightClinical({ file: '/data/KNIGHT/knight/data/knight.json' })
 * @throws {OptionsError} when `file` is not a non-empty string.
 * @throws {InputError} (as an OpError) naming the file, case and key when the file is missing or
 *   malformed, the case has no entry, or a field has a value of the wrong type.
 */
export const knightClinical = defineOp<KnightClinicalOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url,
  validate: (o) => {
    if (typeof o.file !== 'string' || o.file.length === 0) throw new OptionsError(`op '${NAME}': option 'file' must be a non-empty string`);
    if (o.outKey !== undefined) checkKey(NAME, 'outKey', o.outKey);
  },
  apply: (sample, ctx, o) => {
    requireFile(o.file, 'the KNIGHT clinical JSON');
    noteFileRead(o.file);
    const record = knightRecord(memoizedFile(o.file, readKnightJson), ctx.sampleId, o.file);
    const features = Float32Array.from(encodeKnightClinical(record, o.file, ctx.sampleId));
    const values: Record<string, unknown> = {
      'data.input.case_id': ctx.sampleId,
      [o.outKey ?? 'data.input.clinical.all']: { dtype: 'float32', shape: [features.length], data: features },
    };
    if (o.labels ?? true) {
      const { task1, task2 } = knightLabels(record, o.file, ctx.sampleId);
      values['data.gt.gt_global.task_1_label'] = task1;
      values['data.gt.gt_global.task_2_label'] = task2;
    }
    return setKeys(sample, values);
  },
});

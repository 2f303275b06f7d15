import { InputError, OptionsError } from '../../core/errors.js';
import { setKeys } from '../../core/sample.js';
import { noteFileRead } from '../../ops/file-reads.js';
import { defineOp } from '../../ops/registry.js';
import { memoizedFile } from '../common/file-memo.js';
import { requireFile } from '../common/require-file.js';
import { encodeIsicMetadata, readIsicGroundTruth, readIsicMetadata } from './isic-tables.js';

/** Options of {@link isicMetadata}. */
export interface IsicMetadataOptions {
  /** `ISIC_2019_Training_GroundTruth.csv`. */
  readonly groundTruthFile: string;
  /** `ISIC_2019_Training_Metadata.csv`. */
  readonly metadataFile: string;
}

const NAME = 'isic.metadata';

const vector = (v: readonly number[]): { dtype: 'float32'; shape: number[]; data: Float32Array } => ({ dtype: 'float32', shape: [v.length], data: Float32Array.from(v) });

/**
 * Looks the sample's image up in ISIC 2019's ground truth and metadata CSVs and writes
 * `data.label` (0–8 in MEL, NV, BCC, AK, BKL, DF, VASC, SCC, UNK order),
 * `data.input.clinical.encoding.site` (9), `.sex` (3), `.age` (7) as float32 one-hot vectors
 * (see `encodeIsicMetadata`), their concatenation `data.input.clinical.all` (19) and
 * `data.input.lesion_id` (the image id when the CSV leaves it empty). Static; both CSVs are
 * parsed once per thread and recorded as inputs of the sample.
 * @example isicMetadata({ groundTruthFile: '/data/isic/ISIC_2019_Training_GroundTruth.csv', metadataFile: '/data/isic/ISIC_2019_Training_Metadata.csv' })
 * @throws {InputError} (as an OpError) naming the file, line, image and column when a file is
 *   missing or malformed or the image has no row.
 */
export const isicMetadata = defineOp<IsicMetadataOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url,
  validate: (o) => {
    for (const f of ['groundTruthFile', 'metadataFile'] as const) {
      if (typeof o[f] !== 'string' || o[f].length === 0) throw new OptionsError(`op '${NAME}': option '${f}' must be a non-empty string`);
    }
  },
  apply: (sample, ctx, o) => {
    requireFile(o.groundTruthFile, 'the ISIC 2019 ground truth (ISIC_2019_Training_GroundTruth.csv)');
    requireFile(o.metadataFile, 'the ISIC 2019 metadata (ISIC_2019_Training_Metadata.csv)');
    noteFileRead(o.groundTruthFile);
    noteFileRead(o.metadataFile);
    const truth = memoizedFile(o.groundTruthFile, readIsicGroundTruth).get(ctx.sampleId);
    if (truth === undefined) throw new InputError(`image '${ctx.sampleId}' has no row`, { file: o.groundTruthFile });
    const meta = memoizedFile(o.metadataFile, readIsicMetadata).get(ctx.sampleId);
    if (meta === undefined) throw new InputError(`image '${ctx.sampleId}' has no row`, { file: o.metadataFile });
    const e = encodeIsicMetadata(meta);
    return setKeys(sample, {
      'data.label': truth.label,
      'data.input.lesion_id': meta.lesionId ?? ctx.sampleId,
      'data.input.clinical.encoding.site': vector(e.site),
      'data.input.clinical.encoding.sex': vector(e.sex),
      'data.input.clinical.encoding.age': vector(e.age),
      'data.input.clinical.all': vector([...e.site, ...e.sex, ...e.age]),
    });
  },
});

/**
 * Pairs prediction label files with ground-truth label files by case id, for scoring
 * segmentations on disk. The id of a file is its name without the image extension (`.nii.gz`,
 * `.nii`, `.mha`, `.nrrd`, …: case1.nii.gz and case1.mha are both `case1`), or, with a
 * `pattern`, the first capture group of that regular expression matched against the file name
 * (e.g. `^(.*?)(?:_seg|_pred)?\.nii\.gz$`). Files whose name has no image extension are ignored, and
 * so is the .img of a .hdr/.img pair.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { extensionOf } from '../../ops/image/io/image-formats.js';

/** One case: its id and the two files. */
export interface LabelFilePair {
  readonly id: string;
  readonly pred: string;
  readonly truth: string;
}

/** Options of {@link pairLabelFiles}. */
export interface PairLabelFilesOptions {
  /** Regular expression whose first capture group is the case id of a file name; default: the name without its image extension. */
  readonly pattern?: string;
}

/**
 * The cases of `predDir` and `truthDir`, sorted by id.
 *
 * Reads the two folders' listings. Deterministic.
 *
 * @example
 * pairLabelFiles('out/', 'labels/'); // [{ id: 'case1', pred: 'out/case1.nii.gz', truth: 'labels/case1.nii.gz' }, …]
 * @throws OptionsError for a bad pattern; InputError for a missing folder, a folder without label
 *   files, two files of one id in a folder, or files of one folder without a partner in the
 *   other (all listed).
 */
export function pairLabelFiles(predDir: string, truthDir: string, options: PairLabelFilesOptions = {}): LabelFilePair[] {
  let re: RegExp | undefined;
  if (options.pattern !== undefined) {
    try {
      re = new RegExp(options.pattern);
    } catch (err) {
      throw new OptionsError(`pair pattern '${options.pattern}' is not a regular expression: ${(err as Error).message}`);
    }
  }
  const pred = idsOf(predDir, re, 'prediction');
  const truth = idsOf(truthDir, re, 'ground-truth');
  const onlyPred = [...pred.keys()].filter((id) => !truth.has(id));
  const onlyTruth = [...truth.keys()].filter((id) => !pred.has(id));
  if (onlyPred.length > 0 || onlyTruth.length > 0) {
    const lines: string[] = [];
    if (onlyPred.length > 0) lines.push(`predictions without ground truth: ${onlyPred.map((id) => pred.get(id) as string).join(', ')}`);
    if (onlyTruth.length > 0) lines.push(`ground truth without prediction: ${onlyTruth.map((id) => truth.get(id) as string).join(', ')}`);
    throw new InputError(
      `cannot pair '${predDir}' with '${truthDir}' by case id (${re === undefined ? 'file name without its image extension' : `pattern ${re.source}`}): ${lines.join('; ')}`,
    );
  }
  return [...pred.keys()].sort().map((id) => ({ id, pred: pred.get(id) as string, truth: truth.get(id) as string }));
}

/** Case id → file of one folder. */
function idsOf(dir: string, re: RegExp | undefined, what: string): Map<string, string> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`the ${what} folder is not a folder`, { file: dir });
    names = readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read the ${what} folder: ${(err as Error).message}`, { file: dir });
  }
  const out = new Map<string, string>();
  for (const name of names) {
    const ext = extensionOf(name);
    if (ext === '') continue;
    // The data half of an Analyze/NIfTI pair is read through its .hdr.
    if ((ext === '.img' || ext === '.img.gz') && names.includes(`${name.slice(0, name.length - ext.length)}.hdr`)) continue;
    const file = join(dir, name);
    let id: string;
    if (re === undefined) id = name.slice(0, name.length - ext.length);
    else {
      const m = re.exec(name);
      if (m === null || m[1] === undefined || m[1] === '') throw new InputError(`file name does not match the pair pattern ${re.source} (or its first group is empty)`, { file });
      id = m[1];
    }
    const other = out.get(id);
    if (other !== undefined) throw new InputError(`two ${what} files have case id '${id}': ${other} and ${file}`);
    out.set(id, file);
  }
  if (out.size === 0) throw new InputError(`the ${what} folder holds no image files (.nii, .nii.gz, .mha, .nrrd, …)`, { file: dir });
  return out;
}

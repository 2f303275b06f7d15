/**
 * Checks an output path of `fuseflow eval` (the `--report` file) before anything is computed, so
 * a run never ends in a stack trace after the work was done and never replaces what the user did
 * not mean to replace.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkOutputTarget, OutputError, outputErrorOf } from '../../core/safe-fs.js';

/** Options of {@link checkEvalOutput}. */
export interface EvalOutputOptions {
  /** The input files of the run: the output may never be one of them, even with `overwrite`. */
  readonly inputs: readonly string[];
  /** Replace an existing regular file; default `false` (an existing file is refused). */
  readonly overwrite?: boolean;
}

/**
 * Refuses an output path that is one of the inputs (by path or by identity: a hard link counts),
 * a symbolic link, something other than a regular file, an existing file without `overwrite`, or
 * a path whose folder is missing or not writable.
 *
 * @example
 * checkEvalOutput('report.html', { inputs: ['preds.csv'] });
 * @throws {OutputError} naming the file and saying how to proceed.
 */
export function checkEvalOutput(file: string, options: EvalOutputOptions): void {
  const target = resolve(file);
  for (const input of options.inputs) {
    if (resolve(input) === target || sameFile(input, file)) {
      throw new OutputError(file, `is the input file '${input}'; refusing to write over an input (choose another path for the output)`);
    }
  }
  checkOutputTarget(file, { overwrite: options.overwrite === true });
  const folder = dirname(target);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (err) {
    throw outputErrorOf(file, err, `cannot write (folder '${folder}')`);
  }
  if (!isFolder) throw new OutputError(file, `cannot write: '${folder}' is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch (err) {
    throw outputErrorOf(file, err, `cannot write into folder '${folder}'`);
  }
}

/** Whether both paths exist and are the same file (device and inode, links followed). */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * The run folder a training run writes into: created on demand, and protected — a folder that
 * already holds a run's files is not reused unless the caller resumes it or explicitly
 * overwrites it, and overwriting removes only the files a run writes, never anything else.
 */
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OptionsError } from '../core/errors.js';
import { OutputError, outputErrorOf } from '../core/safe-fs.js';

/**
 * The files a run writes into its folder (`fit`: checkpoints and log; `fuseflow train` also its
 * record and predictions): what makes a folder "hold a run", and all that overwriting removes.
 */
export const RUN_FILES = ['run.json', 'best.ckpt', 'last.ckpt', 'log.jsonl', 'predictions.arrow', 'test.json'] as const;

/** How the caller spells its options in messages: the library (`resume: true`) or the CLI (`--resume`). */
export interface RunFolderWords {
  /** The resume option's name, the first word of its errors: `'resume'` or `'--resume'`. */
  readonly resume: string;
  /** How to ask for resuming: `'resume: true'` or `'--resume'`. */
  readonly resumeOn: string;
  /** How to ask for overwriting: `'overwrite: true'` or `'--overwrite'`. */
  readonly overwriteOn: string;
  /** The other way out: `'choose another dir'` or `'choose another --out'`. */
  readonly elsewhere: string;
}

/** The library's words (fit's options). */
export const FIT_WORDS: RunFolderWords = { resume: 'resume', resumeOn: 'resume: true', overwriteOn: 'overwrite: true', elsewhere: 'choose another dir' };

/** Options of {@link checkRunFolder} and {@link claimRunFolder}. */
export interface RunFolderOptions {
  /** Continue the run in the folder: its `last.ckpt` must exist. Default false. */
  readonly resume?: boolean;
  /** Start a new run in a folder that holds one: its {@link RUN_FILES} (only those) are removed. Default false. */
  readonly overwrite?: boolean;
  /** How messages spell the options. Default {@link FIT_WORDS}. */
  readonly words?: RunFolderWords;
}

/**
 * Checks, without changing anything, that a run may use `dir`: resuming needs `dir/last.ckpt`;
 * a new run needs a folder holding none of {@link RUN_FILES} (a link counts), unless `overwrite`.
 * @returns the run files present in `dir`.
 * @example checkRunFolder('runs/a', { overwrite: true }); // ['best.ckpt', 'last.ckpt', 'log.jsonl'] (not removed yet)
 * @throws {OptionsError} for `resume` together with `overwrite`, or `resume` without `last.ckpt`.
 * @throws {OutputError} naming the folder, the run files found and the options to pass, for a new
 *   run into a folder that holds a run.
 */
export function checkRunFolder(dir: string, options: RunFolderOptions = {}): string[] {
  const words = options.words ?? FIT_WORDS;
  if (options.resume === true && options.overwrite === true)
    throw new OptionsError(`${words.resumeOn} and ${words.overwriteOn} exclude each other: continue the run, or replace it`);
  const present = runFilesIn(dir, RUN_FILES);
  if (options.resume === true) {
    if (!present.includes('last.ckpt'))
      throw new OptionsError(`${words.resume}: no checkpoint to resume from in ${dir} (last.ckpt is missing); run without ${words.resume} to start a new run`);
    return present;
  }
  if (present.length > 0 && options.overwrite !== true) {
    throw new OutputError(
      dir,
      `already holds a run (${present.join(', ')}); pass ${words.resumeOn} to continue it, ${words.overwriteOn} to replace it (removes only ${RUN_FILES.join(', ')}), or ${words.elsewhere}`,
    );
  }
  return present;
}

/**
 * Gets `dir` ready for a run: {@link checkRunFolder}, then for a new run with `overwrite` removes
 * the run files present (nothing else), and creates the folder if absent.
 * @example claimRunFolder('runs/a', {}); // refuses a folder holding best.ckpt, last.ckpt, …
 * @throws {OptionsError} / {OutputError} as {@link checkRunFolder}; {@link OutputError} when a run
 *   file cannot be removed or the folder cannot be created.
 */
export function claimRunFolder(dir: string, options: RunFolderOptions = {}): void {
  const present = checkRunFolder(dir, options);
  if (options.resume !== true && present.length > 0) removeRunFiles(dir, present);
  makeRunFolder(dir);
}

/**
 * Creates `dir` (and its parents) if absent.
 * @throws {OutputError} naming the folder: a file of that name exists, a part of the path is a
 *   file, the file system is read-only or full, permission denied.
 */
export function makeRunFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new OutputError(dir, 'cannot create the run folder: a file of that name exists (choose another folder)', { cause: err });
    throw outputErrorOf(dir, err, 'cannot create the run folder');
  }
}

/** Which of `files` (names inside `dir`) exist, links included. */
export function runFilesIn(dir: string, files: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      lstatSync(join(dir, f));
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Removes those of `files` that exist in `dir` (a link is removed, not its target); nothing else.
 * @throws {OutputError} naming the file that could not be removed (a folder of that name, permissions).
 */
export function removeRunFiles(dir: string, files: readonly string[]): void {
  for (const f of runFilesIn(dir, files)) {
    const path = join(dir, f);
    try {
      rmSync(path);
    } catch (err) {
      throw outputErrorOf(path, err, 'cannot remove (to overwrite the run)');
    }
  }
}

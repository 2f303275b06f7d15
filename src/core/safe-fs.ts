/**
 * Output files that never lose data: every file fuseflow writes goes through here. A write goes to
 * a temporary file beside the target (created exclusively), is flushed to disk, then renamed over
 * the target and the folder entry flushed, so a crash leaves either the old file or the new one.
 * A target that is a symbolic link is refused (a write must not land outside the folder the user
 * named), an existing target is refused unless the caller says `overwrite: true`, and file-system
 * failures (read-only, full disk, missing folder, permissions) become an {@link OutputError} that
 * names the file and says how to proceed — never a stack trace after the work was done.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FuseflowError } from './errors.js';

/** Writing an output file failed or was refused; names the file and what to do. */
export class OutputError extends FuseflowError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Replace an existing regular file at the target. Default `false`: an existing target is refused. */
  readonly overwrite?: boolean;
}

/** Turns a Node file-system error on `file` into an {@link OutputError} with a plain reason. */
export function outputErrorOf(file: string, err: unknown, doing = 'cannot write'): OutputError {
  if (err instanceof OutputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason: Record<string, string> = {
    ENOENT: 'its folder does not exist (create it first)',
    ENOTDIR: 'a part of its path is not a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device (free some space and run again)',
    EDQUOT: 'disk quota exceeded',
    EISDIR: 'it is a folder',
    EIO: 'input/output error from the device',
    ELOOP: 'it is a symbolic link (refused: outputs are never written through links)',
  };
  const why = (code !== undefined ? reason[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
  return new OutputError(file, `${doing}: ${why}`, { cause: err });
}

/**
 * Refuses a target that is a symbolic link or not a regular file, and (unless `overwrite`) one that
 * exists. Returns whether the target exists.
 * @throws {OutputError} naming the file.
 */
export function checkOutputTarget(file: string, options: WriteFileAtomicOptions = {}): boolean {
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw outputErrorOf(file, err, 'cannot inspect');
  }
  if (st.isSymbolicLink()) throw new OutputError(file, 'is a symbolic link; fuseflow never writes through links (remove the link or choose another path)');
  if (!st.isFile()) throw new OutputError(file, 'exists and is not a regular file');
  if (options.overwrite !== true) throw new OutputError(file, 'already exists; refusing to overwrite it (choose another path, or remove it yourself)');
  return true;
}

/**
 * Writes `data` to `file` atomically: temp file (exclusive, same folder) → fsync → rename → fsync of
 * the folder. The temp file is removed on any failure.
 * @example writeFileAtomic('run/report.html', html, { overwrite: true });
 * @throws {OutputError} for a symlink target, an existing target without `overwrite`, or any
 *   file-system failure (read-only, full, missing folder), naming the file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[], options: WriteFileAtomicOptions = {}): void {
  checkOutputTarget(file, options);
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Math.floor(performance.now() * 1000).toString(36)}`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw outputErrorOf(file, err);
  }
  try {
    const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const part of parts) {
      let done = 0;
      while (done < part.byteLength) done += writeSync(fd, part, done, part.byteLength - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    // Re-check just before the rename: a link planted meanwhile must not be replaced silently.
    checkOutputTarget(file, options);
    renameSync(tmp, file);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw outputErrorOf(file, err);
  }
  fsyncDir(dirname(file));
}

/**
 * Appends `text` to `file`, never through a symbolic link (O_NOFOLLOW), creating the file if absent.
 * @throws {OutputError} naming the file.
 */
export function appendFileNoFollow(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw outputErrorOf(file, err, 'cannot append');
  }
  try {
    const buf = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done);
  } catch (err) {
    throw outputErrorOf(file, err, 'cannot append');
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (after a rename) where the platform allows it. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

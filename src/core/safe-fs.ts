/**
 * Output files that never lose data: every file fuseflow writes goes through here. A write goes to
 * a temporary file beside the target (created exclusively), is flushed to disk, then renamed over
 * the target and the folder entry flushed, so a crash leaves either the old file or the new one.
 * A temporary name says whose it is — `.<target name>.tmp-<pid>-<nonce>@<host>` ({@link tempPathFor})
 * — so the next write of the same target removes what a writer killed on this host left (its
 * process is gone) and names, on stderr, what a writer on another host left, which it keeps
 * ({@link removeStaleTemps}); nothing else beside the target is touched.
 * A target that is a symbolic link is refused (a write must not land outside the folder the user
 * named), an existing target is refused unless the caller says `overwrite: true`, and file-system
 * failures (read-only, full disk, missing folder, permissions) become an {@link OutputError} that
 * names the file and says how to proceed — never a stack trace after the work was done.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
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
  removeStaleTemps(file);
  const tmp = tempPathFor(file);
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
    pauseBeforeRename(tmp);
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

let writerHostTag: string | undefined;

/**
 * The writer's host as temporary names carry it: the host name (at most 64 characters, no `@` or
 * `/`) and, on Linux, `~` and the PID namespace's inode — two containers that share a host name
 * but not their process ids are two hosts here, so a pid is only ever checked where it means the
 * same process.
 */
export function writerHost(): string {
  if (writerHostTag === undefined) {
    let ns = '';
    try {
      ns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
    } catch {
      // Not Linux (or no /proc): the host name alone.
    }
    writerHostTag = `${hostname().replace(/[@/]/g, '_').slice(0, 64)}${ns === '' ? '' : `~${ns}`}`;
  }
  return writerHostTag;
}

let nonce = 0;

/**
 * A temporary name beside `target` that says whose it is: `.<name>.tmp-<pid>-<nonce>@<host>`
 * (`.<name>.tmp-<pid>-<nonce>-<part>@<host>` with `part`, for several temporaries of one write,
 * e.g. sorted runs). Unique within the process; create it exclusively all the same.
 * @example tempPathFor('/run/a.state') // '/run/.a.state.tmp-4711-lq3x0@node07'
 */
export function tempPathFor(target: string, part?: string): string {
  if (part !== undefined && !/^[0-9a-z]+$/.test(part)) throw new RangeError(`tempPathFor: part must be lower-case letters and digits, got '${part}'`);
  // Unique in the process (thread and counter: each worker thread has its own counter), and the time against a reused pid.
  const tag = `${process.pid}-${Date.now().toString(36)}t${threadId.toString(36)}n${(nonce++).toString(36)}${part === undefined ? '' : `-${part}`}`;
  return join(dirname(target), `.${basename(target)}.tmp-${tag}@${writerHost()}`);
}

/** The process that made a temporary name, as {@link tempPathFor} wrote it. */
export interface TempWriter {
  readonly pid: number;
  readonly host: string;
}

const TEMP_TAIL = /^(\d+)-[0-9a-z]+(?:-[0-9a-z]+)?@([^@/]+)$/;

/** The writer of `entry` (a name in `target`'s folder) when it is a temporary of `target`; undefined otherwise. */
export function tempWriterOf(target: string, entry: string): TempWriter | undefined {
  const prefix = `.${basename(target)}.tmp-`;
  if (!entry.startsWith(prefix)) return undefined;
  const m = TEMP_TAIL.exec(entry.slice(prefix.length));
  return m === null ? undefined : { pid: Number(m[1]), host: m[2] as string };
}

/** True when process `pid` of this host is alive (or exists under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What {@link sweepTemps} and {@link removeStaleTemps} did. */
export interface StaleTemps {
  /** Temporaries of dead writers of this host, removed. */
  readonly removed: readonly string[];
  /** Temporaries of writers on other hosts, kept (and named on stderr unless `quiet`). */
  readonly otherHost: readonly string[];
}

/**
 * Removes the entries of `dir` that `writerOf` says are temporaries of a writer of this host whose
 * process is gone (files or folders: they were made exclusively by that writer). Those of a live
 * writer are kept; those of another host are kept and named on stderr (fuseflow cannot tell
 * whether that writer still runs). A folder that cannot be listed is left alone.
 * @example sweepTemps('/shared/.publishing', (e) => parse(e), 'shard 00002-of-00004')
 */
export function sweepTemps(dir: string, writerOf: (entry: string) => TempWriter | undefined, what: string, options: { readonly quiet?: boolean } = {}): StaleTemps {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return { removed: [], otherHost: [] };
  }
  const host = writerHost();
  const removed: string[] = [];
  const otherHost: string[] = [];
  for (const entry of entries) {
    const w = writerOf(entry);
    if (w === undefined) continue;
    const path = join(dir, entry);
    if (w.host !== host) otherHost.push(path);
    else if (w.pid !== process.pid && !processAlive(w.pid)) {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  if (otherHost.length > 0 && options.quiet !== true) {
    process.stderr.write(
      `fuseflow: kept ${otherHost.length} temporary file${otherHost.length === 1 ? '' : 's'} of ${what} left by a writer on another host or container (it may still be running; remove ${otherHost.length === 1 ? 'it' : 'them'} once it is not): ${otherHost.join(' ')}\n`,
    );
  }
  return { removed, otherHost };
}

/**
 * Removes the temporaries of `target` (files or folders named by {@link tempPathFor}) that a writer
 * of this host left when it was killed; see {@link sweepTemps}. Called by every atomic write.
 * @example removeStaleTemps('/run/states/shard-3-of-8.state')
 */
export function removeStaleTemps(target: string, options: { readonly quiet?: boolean } = {}): StaleTemps {
  return sweepTemps(dirname(target), (entry) => tempWriterOf(target, entry), target, options);
}

/**
 * Test hook: with `FUSEFLOW_TEST_PAUSE_BEFORE_RENAME` naming a FIFO, an atomic write whose temporary
 * file `tmp` is complete writes `held <tmp>` to the FIFO (once the test reads it), then blocks
 * opening it for reading until the test opens it for writing again — or kills the process there.
 * Writers that stream into their own temporary (Arrow files, images) call it before their rename too.
 */
export function pauseBeforeRename(tmp: string): void {
  const fifo = process.env.FUSEFLOW_TEST_PAUSE_BEFORE_RENAME;
  if (fifo === undefined || fifo === '') return;
  const fd = openSync(fifo, constants.O_WRONLY);
  try {
    writeSync(fd, `held ${tmp}\n`);
  } finally {
    closeSync(fd);
  }
  closeSync(openSync(fifo, constants.O_RDONLY));
}

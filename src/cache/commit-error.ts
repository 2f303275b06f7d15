/**
 * Turning a failed LMDB commit into an {@link OutputError} that names the cache folder and says
 * that what was committed before is kept.
 */
import { statfsSync } from 'node:fs';
import type { FuseflowError } from '../core/errors.js';
import { outputErrorOf } from '../core/safe-fs.js';

/**
 * A failed LMDB commit as an OutputError naming the cache folder. LMDB reports errno in its
 * message ("Error 5 Input/output error" is what a full disk gives, as LMDB writes through its
 * map); an I/O error while the folder's file system has less free space than the entry needs
 * (plus 1 MiB) is reported as a full disk.
 * @example throw commitErrorOf(folder, err, bytesOfTheEntry);
 */
export function commitErrorOf(folder: string, err: unknown, needed: number): FuseflowError {
  const message = err instanceof Error ? err.message : String(err);
  const text = `${(err as NodeJS.ErrnoException | undefined)?.code ?? ''} ${message}`;
  let code: string | undefined;
  if (/ENOSPC|No space left|MDB_MAP_FULL/i.test(text)) code = 'ENOSPC';
  else if (/EDQUOT|quota/i.test(text)) code = 'EDQUOT';
  else if (/EIO|Input\/output error|Error 5\b/i.test(text)) code = freeBytes(folder) < needed + 2 ** 20 ? 'ENOSPC' : 'EIO';
  const mapped = Object.assign(new Error(message), code === undefined ? {} : { code });
  return outputErrorOf(folder, mapped, 'cannot commit to the cache (every sample committed before is kept; run the fill again to add the rest)');
}

/** Free bytes for unprivileged users on the file system holding `folder` (Infinity when unknown). */
function freeBytes(folder: string): number {
  try {
    const s = statfsSync(folder);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

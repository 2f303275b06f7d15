import { statSync } from 'node:fs';
import { InputError } from '../../core/errors.js';

/**
 * Checks that `path` is a file (or a folder when `kind` is `'folder'`).
 * @example requireFile('/data/knight/knight.json', 'KNIGHT clinical data (knight.json)')
 * @throws {InputError} naming the path and what it should hold.
 */
export function requireFile(path: string, what: string, kind: 'file' | 'folder' = 'file'): void {
  let ok: boolean;
  try {
    const s = statSync(path);
    ok = kind === 'file' ? s.isFile() : s.isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError(`missing ${kind}: expected ${what} here`, { file: path });
}

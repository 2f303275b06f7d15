/**
 * Expands an `--input` argument into the files it names: a plain path is itself, a folder is the
 * prediction files directly inside it, and a quoted glob (`preds/*.arrow`, `runs/**\/fold?.csv`,
 * `out/part-[0-9]*.arrow`) is every file it matches. Node 20 has no `fs.glob`; this matcher
 * handles `*`, `?`, `[...]` (with `!` or `^` to negate) inside a path part and `**` as a whole
 * part (any number of folders, none included). Results come back in sorted path order (by UTF-16
 * code unit, the same on every machine), so the list is a pure function of the folder's contents.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { InputError } from '../../core/errors.js';

/** File extensions a folder input contributes (those `fileSource` reads). */
export const PREDICTION_EXTENSIONS: readonly string[] = ['.csv', '.tsv', '.arrow', '.arrows', '.feather', '.ipc'];

/** Whether `text` holds a glob character (`*`, `?` or `[`). */
export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/**
 * The files `input` names, sorted by path.
 *
 * @example
 * expandInput('preds/*.arrow'); // ['preds/part-00.arrow', 'preds/part-01.arrow', …]
 * expandInput('preds');         // the .csv/.tsv/.arrow/… files directly in preds/
 * @throws InputError naming the argument when nothing matches, a folder holds no prediction file,
 *   or a plain path does not exist.
 */
export function expandInput(input: string): string[] {
  if (!isGlob(input)) {
    let folder: boolean;
    try {
      folder = statSync(input).isDirectory();
    } catch {
      return [input]; // a missing file is reported, naming it, by the source that opens it
    }
    if (!folder) return [input];
    const files = entries(input)
      .filter((e) => e.isFile() && !e.name.startsWith('.') && PREDICTION_EXTENSIONS.includes(extname(e.name).toLowerCase()))
      .map((e) => join(input, e.name))
      .sort(byPath);
    if (files.length === 0) throw new InputError(`folder holds no prediction file (${PREDICTION_EXTENSIONS.join(', ')})`, { file: input });
    return files;
  }
  const absolute = input.startsWith('/');
  const parts = input.split('/').filter((p, i) => p !== '' || i === 0);
  let fixed = 0;
  while (fixed < parts.length - 1 && !isGlob(parts[fixed] as string)) fixed++;
  const base = absolute ? `/${parts.slice(1, fixed).join('/')}` : parts.slice(0, fixed).join('/');
  const matchers = parts.slice(fixed).map(partMatcher);
  const found: string[] = [];
  walk(base === '' ? '.' : base, base, matchers, found);
  if (found.length === 0) throw new InputError(`no file matches the pattern (quote it so the shell leaves it to fuseflow; * ? [..] and ** are understood)`, { file: input });
  return [...new Set(found)].sort(byPath);
}

/** One path part of a pattern: a test on a name, or `**` (any number of folders). */
type PartMatcher = { readonly kind: 'any-depth' } | { readonly kind: 'name'; readonly test: RegExp };

function partMatcher(part: string): PartMatcher {
  if (part === '**') return { kind: 'any-depth' };
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return { kind: 'name', test: new RegExp(`${re}$`) };
}

/** Matches `matchers` below `dir` (`shown` is how the folder is written in results), adding files to `found`. */
function walk(dir: string, shown: string, matchers: readonly PartMatcher[], found: string[]): void {
  const [head, ...rest] = matchers;
  if (head === undefined) return;
  const list = entries(dir);
  const path = (name: string): string => (shown === '' ? name : shown.endsWith(sep) ? `${shown}${name}` : `${shown}/${name}`);
  if (head.kind === 'any-depth') {
    walk(dir, shown, rest, found); // ** matching no folder
    for (const e of list) if (isFolder(dir, e) && !e.name.startsWith('.')) walk(join(dir, e.name), path(e.name), matchers, found);
    return;
  }
  for (const e of list) {
    // As in the shells, a wildcard does not match a leading dot.
    if (!head.test.test(e.name) || (e.name.startsWith('.') && !head.test.source.startsWith('^\\.'))) continue;
    if (rest.length === 0) {
      if (isFile(dir, e)) found.push(path(e.name));
    } else if (isFolder(dir, e)) walk(join(dir, e.name), path(e.name), rest, found);
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A regular file, or a link to one. */
function isFile(dir: string, e: Dirent): boolean {
  if (e.isFile()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, e.name)).isFile();
  } catch {
    return false;
  }
}

function isFolder(dir: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  return false; // links to folders are not followed (no cycles)
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileNoFollow, OutputError, outputErrorOf, writeFileAtomic } from '../../src/core/safe-fs.js';

const root = mkdtempSync(join(tmpdir(), 'ff-safe-fs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};

/** An iterable of parts that runs `between` after yielding its first part (to act while a write is in progress). */
function partsWith(between: () => void): readonly Uint8Array[] {
  const parts = [Buffer.from('first '), Buffer.from('second')];
  return Object.assign([...parts], {
    *[Symbol.iterator]() {
      yield parts[0] as Uint8Array;
      between();
      yield parts[1] as Uint8Array;
    },
  });
}

describe('writeFileAtomic', () => {
  it('writes a new file (string, bytes or parts) and leaves no temporary file behind', () => {
    const d = fresh();
    writeFileAtomic(join(d, 'a.txt'), 'héllo');
    writeFileAtomic(join(d, 'b.bin'), new Uint8Array([1, 2, 3]));
    writeFileAtomic(join(d, 'c.bin'), [new Uint8Array([1]), new Uint8Array([2, 3])]);
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('héllo');
    expect([...readFileSync(join(d, 'b.bin'))]).toEqual([1, 2, 3]);
    expect([...readFileSync(join(d, 'c.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(d).sort()).toEqual(['a.txt', 'b.bin', 'c.bin']);
  });

  it('refuses an existing file without overwrite, naming it and leaving it intact; replaces it with overwrite', () => {
    const d = fresh();
    const f = join(d, 'report.html');
    writeFileSync(f, 'old');
    expect(() => writeFileAtomic(f, 'new')).toThrow(OutputError);
    expect(() => writeFileAtomic(f, 'new')).toThrow(`${f}: already exists; refusing to overwrite it`);
    expect(readFileSync(f, 'utf8')).toBe('old');
    writeFileAtomic(f, 'new', { overwrite: true });
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(d)).toEqual(['report.html']);
  });

  it('refuses a symbolic link at the target, even with overwrite, and never writes through it', () => {
    const d = fresh();
    const outside = join(fresh(), 'precious.txt');
    writeFileSync(outside, 'precious');
    const link = join(d, 'out.txt');
    symlinkSync(outside, link);
    for (const overwrite of [false, true]) {
      expect(() => writeFileAtomic(link, 'x', { overwrite })).toThrow(`${link}: is a symbolic link`);
    }
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const dangling = join(d, 'dangling.txt');
    symlinkSync(join(d, 'nowhere.txt'), dangling);
    expect(() => writeFileAtomic(dangling, 'x')).toThrow(OutputError);
    expect(readdirSync(d).sort()).toEqual(['dangling.txt', 'out.txt']);
  });

  it('refuses a folder at the target', () => {
    const d = fresh();
    mkdirSync(join(d, 'sub'));
    expect(() => writeFileAtomic(join(d, 'sub'), 'x', { overwrite: true })).toThrow(/sub: exists and is not a regular file/);
  });

  it('a link planted while the file is written is refused at the rename; the temporary file is removed', () => {
    const d = fresh();
    const outside = join(fresh(), 'victim.txt');
    writeFileSync(outside, 'victim');
    const f = join(d, 'out.txt');
    expect(() =>
      writeFileAtomic(
        f,
        partsWith(() => symlinkSync(outside, f)),
      ),
    ).toThrow(`${f}: is a symbolic link`);
    expect(readFileSync(outside, 'utf8')).toBe('victim');
    expect(readdirSync(d)).toEqual(['out.txt']);
  });

  it('a failure while writing removes the temporary file and keeps the old content', () => {
    const d = fresh();
    const f = join(d, 'out.txt');
    writeFileSync(f, 'old');
    const err = (() => {
      try {
        writeFileAtomic(
          f,
          partsWith(() => {
            throw Object.assign(new Error('device full'), { code: 'ENOSPC' });
          }),
          { overwrite: true },
        );
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toBe(`${f}: cannot write: no space left on the device (free some space and run again)`);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['out.txt']);
  });

  it('a missing folder → OutputError naming the file and what to do', () => {
    const f = join(root, 'no-such-folder', 'out.txt');
    expect(() => writeFileAtomic(f, 'x')).toThrow(OutputError);
    expect(() => writeFileAtomic(f, 'x')).toThrow(`${f}: cannot write: its folder does not exist (create it first)`);
  });

  it('a path under a regular file → OutputError (ENOTDIR), not a stack trace', () => {
    const d = fresh();
    writeFileSync(join(d, 'file'), 'x');
    const f = join(d, 'file', 'out.txt');
    expect(() => writeFileAtomic(f, 'x')).toThrow(`${f}: cannot inspect: a part of its path is not a folder`);
  });
});

describe('appendFileNoFollow', () => {
  it('creates, then appends', () => {
    const f = join(fresh(), 'log.jsonl');
    appendFileNoFollow(f, 'a\n');
    appendFileNoFollow(f, 'b\n');
    expect(readFileSync(f, 'utf8')).toBe('a\nb\n');
  });

  it('refuses a symbolic link, naming the file; the link target is untouched', () => {
    const d = fresh();
    const outside = join(fresh(), 'elsewhere.txt');
    writeFileSync(outside, 'keep\n');
    const link = join(d, 'log.jsonl');
    symlinkSync(outside, link);
    expect(() => appendFileNoFollow(link, 'x\n')).toThrow(OutputError);
    expect(() => appendFileNoFollow(link, 'x\n')).toThrow(`${link}: cannot append: it is a symbolic link`);
    expect(readFileSync(outside, 'utf8')).toBe('keep\n');
  });

  it('a missing folder → OutputError naming the file', () => {
    const f = join(root, 'missing', 'log.jsonl');
    expect(() => appendFileNoFollow(f, 'x')).toThrow(`${f}: cannot append: its folder does not exist`);
  });
});

describe('outputErrorOf', () => {
  it.each([
    ['EROFS', 'the file system is read-only'],
    ['ENOSPC', 'no space left on the device (free some space and run again)'],
    ['ENOENT', 'its folder does not exist (create it first)'],
    ['EACCES', 'permission denied'],
    ['EDQUOT', 'disk quota exceeded'],
  ])('maps %s to a plain reason naming the file', (code, reason) => {
    const e = outputErrorOf('/x/y.txt', Object.assign(new Error(`${code}: raw`), { code }));
    expect(e).toBeInstanceOf(OutputError);
    expect(e.message).toBe(`/x/y.txt: cannot write: ${reason}`);
    expect(e.file).toBe('/x/y.txt');
  });

  it('keeps an OutputError as it is and falls back to the message for other errors', () => {
    const inner = new OutputError('/a', 'inner');
    expect(outputErrorOf('/b', inner)).toBe(inner);
    expect(outputErrorOf('/b', new Error('odd')).message).toBe('/b: cannot write: odd');
  });
});

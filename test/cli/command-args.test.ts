/**
 * The argument helpers `fuseflow train` and `fuseflow predict` share: splitFlags (positional
 * words, valued flags, switches) and parseOrExit (--help, bad usage, parsed arguments).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { splitFlags } from '../../src/cli/commands/split-flags.js';
import { parseOrExit } from '../../src/cli/commands/parse-or-exit.js';

const known = { valued: new Set(['out', 'seed']), switches: new Set(['resume']) };

describe('splitFlags', () => {
  it('splits positional words, valued flags (last value wins) and switches, in order', () => {
    const r = splitFlags(['a.csv', '--out', 'd1', '--resume', 'b.csv', '--out', 'd2', '--seed', '--x'], known);
    expect(r.positional).toEqual(['a.csv', 'b.csv']);
    expect([...r.flags]).toEqual([
      ['out', 'd2'],
      ['seed', '--x'],
    ]);
    expect([...r.switches]).toEqual(['resume']);
  });

  it('gives empty parts for no arguments', () => {
    const r = splitFlags([], known);
    expect([r.positional, r.flags.size, r.switches.size]).toEqual([[], 0, 0]);
  });

  it('refuses an unknown option and a valued flag without its value', () => {
    expect(() => splitFlags(['--bogus'], known)).toThrow(new OptionsError('unknown option --bogus'));
    expect(() => splitFlags(['a', '--out'], known)).toThrow(new OptionsError('--out needs a value'));
  });
});

describe('parseOrExit', () => {
  afterEach(() => vi.restoreAllMocks());
  const parse = (args: readonly string[]): number => {
    if (args.length === 0) throw new OptionsError('name a file');
    return args.length;
  };

  it('--help and -h print the usage and exit 0 without parsing', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const never = vi.fn(parse);
    expect(parseOrExit(['x', '--help'], { command: 'demo', usage: 'USAGE', parse: never })).toEqual({ exit: 0 });
    expect(parseOrExit(['-h'], { command: 'demo', usage: 'USAGE', parse: never })).toEqual({ exit: 0 });
    expect(log.mock.calls).toEqual([['USAGE'], ['USAGE']]);
    expect(never).not.toHaveBeenCalled();
  });

  it("a parser's refusal prints 'fuseflow <command>: <why>' and the usage, exit 2", () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(parseOrExit([], { command: 'demo', usage: 'USAGE', parse })).toEqual({ exit: 2 });
    expect(error.mock.calls).toEqual([['fuseflow demo: name a file\n\nUSAGE']]);
  });

  it('otherwise returns the parsed arguments', () => {
    expect(parseOrExit(['a', 'b'], { command: 'demo', usage: 'USAGE', parse })).toEqual({ args: 2 });
  });
});

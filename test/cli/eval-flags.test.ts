import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { readEvalFlags, type EvalFlagsOptions } from '../../src/cli/commands/eval-flags.js';

const base = { valued: new Set(['--ci', '--input']), switches: new Set(['--json', '--help']), usage: 'USAGE' } as const;
const collect: EvalFlagsOptions = { ...base, repeated: 'collect' };
const refuse: EvalFlagsOptions = { ...base, repeated: 'refuse' };

describe('readEvalFlags', () => {
  it('reads --flag value, --flag=value, switches and -h as --help', () => {
    const r = readEvalFlags(['--ci', '100', '--input=a.csv', '--json', '-h'], collect);
    expect([...r.values]).toEqual([
      ['--ci', ['100']],
      ['--input', ['a.csv']],
    ]);
    expect([...r.switches]).toEqual(['--json', '--help']);
  });

  it('collects repeated values in order, or refuses the second under refuse', () => {
    expect(readEvalFlags(['--input', 'a', '--input=b'], collect).values.get('--input')).toEqual(['a', 'b']);
    expect(() => readEvalFlags(['--input', 'a', '--input', 'b'], refuse)).toThrow(new OptionsError('--input given twice'));
  });

  it('refuses a missing value, a value that is a flag (unless given with =), and an unknown argument with the usage', () => {
    expect(() => readEvalFlags(['--ci'], collect)).toThrow('--ci needs a value');
    expect(() => readEvalFlags(['--ci', '--json'], collect)).toThrow('--ci needs a value');
    expect(readEvalFlags(['--input=--odd'], collect).values.get('--input')).toEqual(['--odd']);
    expect(() => readEvalFlags(['--nope'], collect)).toThrow("unknown argument '--nope'\n\nUSAGE");
  });
});

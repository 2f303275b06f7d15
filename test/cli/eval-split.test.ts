import { describe, expect, it } from 'vitest';
import { splitEvalArgs } from '../../src/cli/commands/eval-split.js';

describe('splitEvalArgs (emit and submit split eval into shards + merge)', () => {
  it('sends --json, --overwrite and --report to the merge, the rest to the shards', () => {
    expect(splitEvalArgs(['--input', 'p/*.arrow', '--pred', 'p', '--json', '--overwrite', '--target', 'y'])).toEqual({
      shardArgs: ['--input', 'p/*.arrow', '--pred', 'p', '--target', 'y'],
      mergeArgs: ['--json', '--overwrite'],
    });
  });

  it('a merge that writes a report makes the shards fold the report metrics (--with-report), once', () => {
    // The bug: the shards ran without --with-report, so `eval merge --report` refused their states.
    expect(splitEvalArgs(['--input', 'a.arrow', '--report', 'r.html'])).toEqual({ shardArgs: ['--input', 'a.arrow', '--with-report'], mergeArgs: ['--report', 'r.html'] });
    expect(splitEvalArgs(['--report=r.html', '--with-report', '--input', 'a.arrow'])).toEqual({
      shardArgs: ['--with-report', '--input', 'a.arrow'],
      mergeArgs: ['--report=r.html'],
    });
  });
});

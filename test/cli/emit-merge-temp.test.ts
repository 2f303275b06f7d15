/**
 * The emitted eval merge step writes RUN/result.json through a temporary named for its writer (as
 * src/core/safe-fs.ts names its own), created exclusively: a file of the user's called
 * `result.json.tmp` is never truncated, a failed merge leaves no temporary, and two merges of one
 * run at once each write their own. The step's lines run in `sh` and in `bash -euo pipefail` (the
 * Kubernetes and Slurm preludes) with `fuseflow` a shell function standing in for the CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempWriterOf, writerHost } from '../../src/core/safe-fs.js';
import { parseEmitRequest } from '../../src/cli/emit/emit-request.js';
import { shardSteps } from '../../src/cli/emit/shard-steps.js';
import { tempFolder } from '../temp-folder.js';

const { dir } = tempFolder('fuseflow-emit-temp-test-');
let runs = 0;

/** A fresh run folder and the final (merge) step's lines emitted for it. */
function mergeStep(): { run: string; lines: readonly string[] } {
  const run = join(dir, `run-${runs++}`);
  mkdirSync(join(run, 'states'), { recursive: true });
  const req = parseEmitRequest(
    ['slurm', 'eval', '--input', 'p.arrow', '--pred', 'p', '--target', 'y', '--json', '--shards', '2', '--run-dir', run, '--out', join(run, 'x.sh')],
    dir,
  );
  return { run, lines: shardSteps(req).final };
}

/** Runs `lines` after `prelude` in `shell`; `fuseflow` is the function `fake`. Resolves with the exit status and stderr. */
function runStep(shell: 'sh' | 'bash', prelude: string, fake: string, lines: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  const script = [prelude, `fuseflow() { ${fake}; }`, ...lines].join('\n');
  const child = spawn(shell, ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

const SHELLS = [
  ['sh', 'set -eu'],
  ['bash', 'set -euo pipefail'],
] as const;

describe('emitted eval merge step: result through a writer-named temporary', () => {
  for (const [shell, prelude] of SHELLS) {
    it(`${shell}: a user's result.json.tmp is left alone; the temporary is named for its writer and gone after`, async () => {
      const { run, lines } = mergeStep();
      const result = join(run, 'result.json');
      writeFileSync(join(run, 'result.json.tmp'), 'notes of the user\n');
      // The stand-in merge lists the run folder while it writes (its temporary is there then).
      const r = await runStep(shell, prelude, `ls -a ${run} > ${run}/during.txt; echo '{"auc":0.5}'`, lines);
      expect(r.stderr).toContain('merged 2 shards into');
      expect(r.status).toBe(0);
      expect(readFileSync(result, 'utf8')).toBe('{"auc":0.5}\n');
      expect(readFileSync(join(run, 'result.json.tmp'), 'utf8')).toBe('notes of the user\n');
      const temps = readFileSync(join(run, 'during.txt'), 'utf8')
        .split('\n')
        .filter((e) => e.startsWith('.result.json.tmp-'));
      expect(temps).toHaveLength(1);
      const writer = tempWriterOf(result, temps[0] ?? '');
      expect(writer?.host).toBe(writerHost());
      expect(writer?.pid).toBeGreaterThan(0);
      expect(readdirSync(run).filter((e) => e.startsWith('.result.json.tmp-'))).toEqual([]);
    });

    it(`${shell}: a failed merge exits with its status, leaves no temporary and no result`, async () => {
      const { run, lines } = mergeStep();
      const r = await runStep(shell, prelude, `echo '{"partial":'; return 3`, lines);
      expect(r.status).toBe(3);
      expect(existsSync(join(run, 'result.json'))).toBe(false);
      expect(readdirSync(run).filter((e) => e.includes('.tmp'))).toEqual([]);
    });
  }

  it('two merges of one run at once write their own temporaries: the result is one of them whole', async () => {
    const { run, lines } = mergeStep();
    const big = (c: string): string => `i=0; while [ $i -lt 2000 ]; do echo ${c.repeat(60)}; i=$((i + 1)); done`;
    const [a, b] = await Promise.all([
      runStep('sh', 'set -eu', `${big('a')}; sleep 0.2; ${big('a')}`, lines),
      runStep('sh', 'set -eu', `${big('b')}; sleep 0.2; ${big('b')}`, lines),
    ]);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    const text = readFileSync(join(run, 'result.json'), 'utf8');
    expect(text.length).toBe(4000 * 61);
    expect(new Set(text.replaceAll('\n', '')).size).toBe(1);
    expect(readdirSync(run).filter((e) => e.includes('.tmp'))).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEmitRequest } from '../../src/cli/emit/emit-request.js';
import { shardSteps } from '../../src/cli/emit/shard-steps.js';
import { tempFolder } from '../temp-folder.js';
import { runCli } from './run-cli.js';

const { dir } = tempFolder('fuseflow-emit-test-');
const EVAL = ['--input', 'preds/*.arrow', '--pred', 'p', '--target', 'y', '--id', 'id'];

/** The parsed YAML documents of `file` (python3's PyYAML: an independent reader). */
function yamlOf(file: string): Record<string, unknown> {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** `sh -n` / `bash -n` accepts the text. */
function syntaxOk(shell: string, text: string): boolean {
  return spawnSync(shell, ['-n'], { input: text }).status === 0;
}

describe('fuseflow emit slurm', () => {
  it('writes one script: array job with %K, afterok merge job, shard i/N, --json to the merge step only', async () => {
    const out = join(dir, 'eval.sbatch');
    const r = await runCli(
      'emit',
      'slurm',
      'eval',
      ...EVAL,
      '--json',
      '--report',
      'r.html',
      '--shards',
      '4',
      '--max-parallel',
      '2',
      '--time',
      '0:10:00',
      '--partition',
      'debug',
      '--cpus-per-task',
      '2',
      '--mem',
      '4G',
      '--out',
      out,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(syntaxOk('bash', text)).toBe(true);
    expect(statSync(out).mode & 0o111).not.toBe(0);
    for (const line of ['#SBATCH --time=0:10:00', '#SBATCH --partition=debug', '#SBATCH --cpus-per-task=2', '#SBATCH --mem=4G', `#SBATCH --chdir=${process.cwd()}`])
      expect(text).toContain(line);
    expect(text).toContain('--array=0-3%2');
    expect(text).toContain('--dependency=afterok:"$array_job"');
    expect(text).toContain(`fuseflow eval --input 'preds/*.arrow' --pred p --target y --id id --with-report --threads 2 --shard "$i/4" --state-out "$state"`);
    expect(text).toContain(`state=${join(dir, 'eval-run/states')}/shard-"$i"-of-4.state`);
    expect(text).toContain('fuseflow eval merge "$@" --json --report r.html >');
    expect(text).toContain(`${join(dir, 'eval-run/result.json')}`);
    // The refinement round: plan job after the array, pass array after the plan, merge after the passes.
    expect(text).toContain('--dependency=afterok:"$array_job" --kill-on-invalid-dep=yes --output="$RUN/logs/plan.out"');
    expect(text).toContain('--array=0-3%2 --dependency=afterok:"$plan_job" --kill-on-invalid-dep=yes --output="$RUN/logs/pass-%a.out"');
    expect(text).toContain('--dependency=afterok:"$pass_job" --kill-on-invalid-dep=yes --output="$RUN/logs/merge.out"');
    expect(text).toContain(`fuseflow eval merge "$@" --next-pass-out ${join(dir, 'eval-run/plan-1.state')} > /dev/null`);
    expect(text).toContain(`pass=${join(dir, 'eval-run/states')}/pass-1-shard-"$i"-of-4.state`);
    expect(text).toContain(
      `fuseflow eval --input 'preds/*.arrow' --pred p --target y --id id --with-report --threads 2 --shard "$i/4" --pass ${join(dir, 'eval-run/plan-1.state')} --state-out "$pass"`,
    );
  });

  it('cache-fill to s3:// passes --s3-endpoint to the shards and to the commit', () => {
    const req = parseEmitRequest(['slurm', 'cache-fill', 'ds.mjs', '--to', 's3://lab/cache', '--s3-endpoint', 'http://127.0.0.1:9000', '--shards', '2', '--out', 'x.sh'], dir);
    const steps = shardSteps(req);
    expect(steps.shard.join('\n')).toContain('--to s3://lab/cache --s3-endpoint http://127.0.0.1:9000 --shards 2 --index "$i"');
    expect(steps.final).toEqual(['fuseflow cache commit s3://lab/cache --s3-endpoint http://127.0.0.1:9000']);
  });

  it('runs the --fuseflow command, keeps the array whole without --max-parallel, and cache-fill commits --to', async () => {
    const out = join(dir, 'fill.sh');
    const r = await runCli(
      'emit',
      'slurm',
      'cache-fill',
      'data/my set.mjs',
      '--to',
      '/shared/cache',
      '--local',
      '/tmp/local',
      '--shards',
      '3',
      '--cpus-per-task',
      '4',
      '--fuseflow',
      'node /opt/ff/bin/fuseflow.js',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(syntaxOk('bash', text)).toBe(true);
    expect(text).toContain('fuseflow() { node /opt/ff/bin/fuseflow.js "$@"; }');
    expect(text).toContain('--array=0-2 ');
    expect(text).toContain(`fuseflow cache fill 'data/my set.mjs' --to /shared/cache --local /tmp/local --threads 4 --shards 3 --index "$i"`);
    expect(text).toContain('fuseflow cache commit /shared/cache');
    expect(text).toContain('--output="$RUN/logs/commit.out"');
  });

  it('never overwrites a file unless --overwrite', async () => {
    const out = join(dir, 'taken.sbatch');
    writeFileSync(out, 'mine');
    const r = await runCli('emit', 'slurm', 'eval', ...EVAL, '--shards', '2', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${out}: already exists`);
    expect(readFileSync(out, 'utf8')).toBe('mine');
    expect((await runCli('emit', 'slurm', 'eval', ...EVAL, '--shards', '2', '--out', out, '--overwrite')).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('#!/bin/bash');
  });

  it("after a bare --, every argument is the command's (eval's --overwrite goes to the merge step)", async () => {
    const out = join(dir, 'dashdash.sbatch');
    expect((await runCli('emit', 'slurm', 'eval', '--shards', '2', '--out', out, '--', ...EVAL, '--report', 'r.html', '--overwrite')).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('fuseflow eval merge "$@" --report r.html --overwrite >');
    expect(text).toContain(`fuseflow eval --input 'preds/*.arrow' --pred p --target y --id id --with-report --shard "$i/2"`);
  });

  it.each([
    [['slurm', 'eval', ...EVAL, '--out', 'x'], '--shards N is required'],
    [['slurm', 'eval', ...EVAL, '--shards', '2'], '--out FILE is required'],
    [['slurm', 'eval', ...EVAL, '--shards', '0', '--out', 'x'], "--shards must be a positive integer, got '0'"],
    [['slurm', 'eval', ...EVAL, '--shard', '0/2', '--shards', '2', '--out', 'x'], '--shard is set by `fuseflow emit … eval`'],
    [['slurm', 'cache-fill', 'ds.mjs', '--shards', '2', '--out', 'x'], 'cache-fill needs --to SHARED_DIR'],
    [['slurm', 'cache-fill', 'ds.mjs', '--to', 'd', '--index', '1', '--shards', '2', '--out', 'x'], '--index is set by'],
    [['slurm', 'eval', ...EVAL, '--shards', '2', '--time', 'soon', '--out', 'x'], "--time 'soon' is not a Slurm time limit"],
    [['slurm', 'eval', ...EVAL, '--shards', '2', '--image', 'i', '--out', 'x'], '--image is for `fuseflow emit k8s`'],
    [['k8s', 'eval', ...EVAL, '--shards', '2', '--out', 'x'], '--image IMAGE is required'],
    [['k8s', 'eval', ...EVAL, '--shards', '2', '--image', 'i', '--partition', 'p', '--out', 'x'], '--partition is for `fuseflow emit slurm`'],
    [['pbs', 'eval'], "the first word must be one of slurm, k8s, got 'pbs'"],
    [['slurm', 'train'], "the second word must be one of cache-fill, eval, got 'train'"],
  ])('refuses %j', async (args, message) => {
    const r = await runCli('emit', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(existsSync(join(process.cwd(), 'x'))).toBe(false);
  });
});

describe('fuseflow emit k8s', () => {
  it('writes an Indexed Job (completions N, parallelism K, FUSEFLOW_WORLD_SIZE) and the merge Job beside it', async () => {
    const out = join(dir, 'eval.yaml');
    const args = [
      'emit',
      'k8s',
      'eval',
      ...EVAL,
      '--json',
      '--shards',
      '8',
      '--max-parallel',
      '3',
      '--image',
      'ghcr.io/me/fuseflow:1',
      '--pvc',
      'shared',
      '--cpus-per-task',
      '2',
      '--mem',
      '8Gi',
      '--out',
      out,
    ];
    expect((await runCli(...args)).code).toBe(0);
    const job = yamlOf(out) as { metadata: { name: string }; spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } };
    expect(job.metadata.name).toBe('fuseflow-eval');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 8, parallelism: 3 });
    const pod = job.spec.template.spec as {
      restartPolicy: string;
      containers: { image: string; command: string[]; args: string[]; env: unknown[]; resources: unknown; workingDir: string; volumeMounts: unknown[] }[];
      volumes: unknown[];
    };
    expect(pod.restartPolicy).toBe('Never');
    const [c] = pod.containers;
    expect(c?.image).toBe('ghcr.io/me/fuseflow:1');
    expect(c?.env).toEqual([{ name: 'FUSEFLOW_WORLD_SIZE', value: '8' }]);
    expect(c?.resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '8Gi' } });
    expect(c?.workingDir).toBe('/data');
    expect(c?.volumeMounts).toEqual([{ name: 'shared', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([{ name: 'shared', persistentVolumeClaim: { claimName: 'shared' } }]);
    expect(c?.command).toEqual(['/bin/sh', '-c']);
    const script = c?.args[0] ?? '';
    expect(syntaxOk('sh', script)).toBe(true);
    expect(script).toContain('i="${JOB_COMPLETION_INDEX:?set by the Indexed Job}"');
    expect(script).toContain(`fuseflow eval --input 'preds/*.arrow' --pred p --target y --id id --threads 2 --shard "$i/8" --state-out "$state"`);
    expect(script).toContain('/data/fuseflow-eval/states/shard-"$i"-of-8.state');

    const merge = yamlOf(join(dir, 'eval-merge.yaml')) as { metadata: { name: string }; spec: { completions: number; template: { spec: { containers: { args: string[] }[] } } } };
    expect(merge.metadata.name).toBe('fuseflow-eval-merge');
    expect(merge.spec.completions).toBe(1);
    const mergeScript = merge.spec.template.spec.containers[0]?.args[0] ?? '';
    expect(syntaxOk('sh', mergeScript)).toBe(true);
    expect(mergeScript).toContain('(set -C; fuseflow eval merge "$@" --json > "$tmp")');
    expect(mergeScript).toContain('tmp=/data/fuseflow-eval/.result.json.tmp-"$$-$(date +%s)@');
    expect(mergeScript).toContain('/data/fuseflow-eval/states/pass-1-shard-"$k"-of-8.state');
    // The refinement round between them: the plan Job and the pass Indexed Job, applied in this order.
    const plan = yamlOf(join(dir, 'eval-plan.yaml')) as typeof merge;
    expect(plan.metadata.name).toBe('fuseflow-eval-plan');
    expect(plan.spec.completions).toBe(1);
    const planScript = plan.spec.template.spec.containers[0]?.args[0] ?? '';
    expect(syntaxOk('sh', planScript)).toBe(true);
    expect(planScript).toContain('fuseflow eval merge "$@" --next-pass-out /data/fuseflow-eval/plan-1.state > /dev/null');
    const pass = yamlOf(join(dir, 'eval-pass.yaml')) as typeof job;
    expect(pass.metadata.name).toBe('fuseflow-eval-pass');
    expect(pass.spec).toMatchObject({ completionMode: 'Indexed', completions: 8, parallelism: 3 });
    const passScript = (pass.spec.template.spec as { containers: { args: string[] }[] }).containers[0]?.args[0] ?? '';
    expect(syntaxOk('sh', passScript)).toBe(true);
    expect(passScript).toContain(
      `fuseflow eval --input 'preds/*.arrow' --pred p --target y --id id --threads 2 --shard "$i/8" --pass /data/fuseflow-eval/plan-1.state --state-out "$pass"`,
    );
    const header = readFileSync(out, 'utf8');
    const order = [
      'kubectl apply -f ' + out,
      'job/fuseflow-eval\n',
      `kubectl apply -f ${join(dir, 'eval-plan.yaml')}`,
      'job/fuseflow-eval-plan\n',
      `kubectl apply -f ${join(dir, 'eval-pass.yaml')}`,
      'job/fuseflow-eval-pass\n',
      `kubectl apply -f ${join(dir, 'eval-merge.yaml')}`,
    ];
    const at = order.map((line) => header.indexOf(line));
    expect(at.every((x) => x >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('refuses to write either file when one exists', async () => {
    const out = join(dir, 'fill.yaml');
    writeFileSync(join(dir, 'fill-commit.yaml'), 'mine');
    const r = await runCli('emit', 'k8s', 'cache-fill', 'ds.mjs', '--to', '/data/cache', '--shards', '2', '--image', 'img', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('fill-commit.yaml: already exists');
    expect(existsSync(out)).toBe(false);
  });
});

describe('the emitted shard step, run by sh', () => {
  it('numbers the merge inputs 0 … N-1 in order through the plan, pass and merge steps; a rerun runs the step again (the step, not the script, decides what an existing file means)', () => {
    const out = join(dir, 'steps.sbatch');
    const log = join(dir, 'calls.txt');
    const fake = join(dir, 'fake-fuseflow.sh');
    // Records its arguments; as the shard step it writes the --state-out file (the last argument).
    writeFileSync(fake, `echo "$*" >> ${log}\nfor a; do last=$a; done\ncase "$2" in merge) echo '{"ok":1}';; *) echo s > "$last";; esac\n`);
    return runCli('emit', 'slurm', 'eval', ...EVAL, '--json', '--shards', '3', '--fuseflow', `sh ${fake}`, '--out', out).then((r) => {
      expect(r.code).toBe(0);
      const runDir = join(dir, 'steps-run');
      spawnSync('mkdir', ['-p', join(runDir, 'states')]);
      for (const i of [0, 1, 2, 1]) expect(spawnSync('bash', [out, 'shard'], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(i) } }).status).toBe(0);
      expect(spawnSync('bash', [out, 'plan']).status).toBe(0);
      for (const i of [2, 0, 1, 0]) expect(spawnSync('bash', [out, 'pass'], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(i) } }).status).toBe(0);
      expect(spawnSync('bash', [out, 'merge']).status).toBe(0);
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      // No `[ -f ]` skip: shard 1's and pass 0's second runs call fuseflow too (it skips or replaces by what the file holds).
      expect(calls).toHaveLength(10);
      expect(calls[3]).toBe(calls[1]);
      expect(calls[8]).toBe(calls[6]);
      const plan = join(runDir, 'plan-1.state');
      expect(calls[4]).toBe(`eval merge ${[0, 1, 2].map((i) => join(runDir, `states/shard-${i}-of-3.state`)).join(' ')} --next-pass-out ${plan}`);
      expect(calls[5]).toBe(`eval ${EVAL.join(' ')} --shard 2/3 --pass ${plan} --state-out ${join(runDir, 'states/pass-1-shard-2-of-3.state')}`);
      expect(calls[9]).toBe(`eval merge ${[0, 1, 2].map((i) => join(runDir, `states/pass-1-shard-${i}-of-3.state`)).join(' ')} --json`);
      expect(readFileSync(join(runDir, 'result.json'), 'utf8')).toBe('{"ok":1}\n');
    });
  });
});

/**
 * A real one-node Slurm for tests (see ../shared/recipes/slurm-one-node.md): munged, slurmctld and
 * slurmd started by the test on a configuration in a temporary folder (SLURM_CONF, own munge
 * socket and key, own ports, state and logs), so nothing under /etc or /var is touched and two
 * test files can each run their own. Stopped by their PIDs afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingPrograms } from './engine-suite.js';
import { freePort } from './server-process.js';

/** How a job starts the fuseflow CLI from the sources (absolute paths: it works from any folder). */
export const FUSEFLOW_FROM_SOURCES = `${process.execPath} --import ${pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href} ${resolve('src/cli/main.ts')}`;

/** Runs `sh -c line` in `cwd` with `env`; resolves with the exit code and what it printed. */
export function sh(line: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn('sh', ['-c', line], { cwd, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

/** The Debian packages that hold Slurm and munge. */
export const SLURM_PACKAGES = 'slurm-wlm munge';

/** Why a Slurm cannot be started here, or `undefined` when it can. */
export function slurmMissing(): string | undefined {
  const missing = missingPrograms(['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo', 'scontrol', 'scancel']);
  if (missing.length > 0) return `Slurm is not installed (missing ${missing.join(', ')})`;
  if (process.getuid?.() !== 0) return 'the one-node Slurm of the tests runs its daemons as root (run the tests as root)';
  return undefined;
}

/** A started cluster. */
export interface SlurmCluster {
  /** The temporary folder holding conf, key, state, spool and logs. */
  readonly dir: string;
  /** The environment for Slurm commands (and jobs): the caller's plus SLURM_CONF. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm client command (sbatch, squeue …); throws with its stderr when it fails. */
  readonly command: (name: string, args: readonly string[]) => string;
  /** Waits until every task of the jobs is in a final state; returns each task's state (`ID STATE`). */
  readonly waitForJobs: (ids: readonly string[], timeoutMs: number) => Promise<string[]>;
  /** The daemons' log tails, for a failure message. */
  readonly logs: () => string;
  /** Cancels what is left and stops the daemons by their PIDs. */
  readonly stop: () => Promise<void>;
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function slurmConf(dir: string, ports: readonly [number, number]): string {
  const host = hostname();
  const memMb = Math.max(500, Math.floor((totalmem() / 2 ** 20) * 0.5));
  return `ClusterName=fftest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${dir}/munge.sock
CredType=cred/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${memMb} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops one daemon by its PID: SIGTERM, then SIGKILL after 10 s. */
async function stopPid(pid: number | undefined): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid as number, 'SIGTERM');
  for (let t = 0; t < 100 && alive(pid); t++) await sleep(100);
  if (alive(pid)) process.kill(pid as number, 'SIGKILL');
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts munged, slurmctld and slurmd in the foreground (their PIDs are the children's) and waits
 * until `sinfo` shows the node idle.
 * @throws when a daemon exits or the node is not idle within `timeoutMs`, with the logs' tails.
 */
export async function startSlurm(timeoutMs = 45_000): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-slurm-'));
  chmodSync(dir, 0o755); // munged wants its socket's folder searchable by all
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  const key = join(dir, 'munge.key');
  writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 131 + 7) & 0xff)), { mode: 0o400 });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, [await freePort(), await freePort()]));
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  const daemons: ChildProcess[] = [];
  const start = (cmd: string, args: readonly string[]): ChildProcess => {
    const errFd = openSync(join(dir, `${cmd}.stderr`), 'w');
    const child = spawn(cmd, args, { env, stdio: ['ignore', errFd, errFd] });
    closeSync(errFd);
    child.on('error', () => undefined); // a failed start shows as an exit below
    daemons.push(child);
    return child;
  };
  const logs = (): string =>
    ['munged.log', 'munged.stderr', 'slurmctld.log', 'slurmctld.stderr', 'slurmd.log', 'slurmd.stderr'].map((f) => `--- ${f}\n${tail(join(dir, f))}`).join('\n') +
    `\n--- squeue\n${spawnSync('squeue', [], { env, encoding: 'utf8' }).stdout}`;
  const stop = async (): Promise<void> => {
    spawnSync('scancel', ['--user', 'root'], { env });
    for (const d of [...daemons].reverse()) await stopPid(d.pid);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    start('munged', ['-F', `--socket=${dir}/munge.sock`, `--key-file=${key}`, `--log-file=${dir}/munged.log`, `--pid-file=${dir}/munged.pid`, `--seed-file=${dir}/munged.seed`]);
    for (let t = 0; t < 50 && spawnSync('sh', ['-c', `test -S ${dir}/munge.sock`]).status !== 0; t++) await sleep(100);
    start('slurmctld', ['-D', '-f', conf]);
    start('slurmd', ['-D', '-f', conf]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exited = daemons.find((d) => d.exitCode !== null || d.signalCode !== null);
      if (exited !== undefined) throw new Error(`${exited.spawnfile} exited (${exited.exitCode ?? exited.signalCode})`);
      const state = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim();
      if (state === 'idle') break;
      if (Date.now() > deadline) throw new Error(`the node is not idle after ${timeoutMs} ms (sinfo: '${state}')`);
      await sleep(250);
    }
  } catch (err) {
    const message = `one-node Slurm did not start: ${err instanceof Error ? err.message : String(err)}\n${logs()}`;
    await stop();
    throw new Error(message, { cause: err });
  }
  const command = (name: string, args: readonly string[]): string => {
    const r = spawnSync(name, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.error?.message ?? ''}`);
    return r.stdout;
  };
  const waitForJobs = async (ids: readonly string[], ms: number): Promise<string[]> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const states = ids.flatMap((id) =>
        command('scontrol', ['show', 'job', '-o', id])
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => {
            const field = (name: string): string | undefined => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(l)?.[1];
            const task = field('ArrayTaskId');
            return {
              task: task === undefined ? -1 : Number.parseInt(task, 10),
              line: `${task === undefined ? id : `${field('ArrayJobId') ?? id}_${task}`} ${field('JobState') ?? '?'}`,
            };
          })
          .sort((a, b) => a.task - b.task)
          .map((t) => t.line),
      );
      // A pending array shows as one line with ArrayTaskId=0-3; it is not final until each task is.
      if (states.every((s) => FINAL.has(s.split(' ')[1] ?? '') && !/_\d+[-,%]/.test(s))) return states;
      if (Date.now() > deadline) throw new Error(`jobs ${ids.join(', ')} not finished after ${ms} ms: ${states.join('; ')}\n${logs()}`);
      await sleep(500);
    }
  };
  return { dir, env, command, waitForJobs, logs, stop };
}

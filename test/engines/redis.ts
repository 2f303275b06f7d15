/**
 * A real Redis for tests (see ../shared/recipes/redis-for-tests.md): Debian's redis-server started
 * by the test on a free loopback port, with a temporary data folder and nothing kept on disk
 * (`--save '' --appendonly no`), in the foreground so its PID is the child's; stopped by that PID.
 * When FUSEFLOW_REDIS_URL names a server, that one is used instead (and left running). Each test
 * file uses a key prefix of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingPrograms } from './engine-suite.js';

/** The Debian package that holds the server. */
export const REDIS_PACKAGES = 'redis-server';

/** Why no Redis can be had here, or `undefined` when one can. */
export function redisMissing(): string | undefined {
  if (process.env.FUSEFLOW_REDIS_URL !== undefined && process.env.FUSEFLOW_REDIS_URL !== '') return undefined;
  const missing = missingPrograms(['redis-server', 'redis-cli']);
  return missing.length > 0 ? `Redis is not installed (missing ${missing.join(', ')})` : undefined;
}

/** A server to use. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` (or FUSEFLOW_REDIS_URL). */
  readonly url: string;
  /** A key prefix of this test run's own. */
  readonly prefix: string;
  /** Stops the server this test started (by its PID) and removes its folder; nothing for FUSEFLOW_REDIS_URL. */
  readonly stop: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server (or takes FUSEFLOW_REDIS_URL) and waits until it answers PING.
 * @throws when the server exits or does not answer within `timeoutMs`, with its output.
 */
export async function startRedis(name: string, timeoutMs = 15_000): Promise<RedisServer> {
  const prefix = `fftest-${name}-${process.pid}-${Date.now().toString(36)}`;
  const given = process.env.FUSEFLOW_REDIS_URL;
  if (given !== undefined && given !== '') return { url: given, prefix, stop: () => Promise.resolve() };
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-redis-'));
  const port = await freePort();
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    env: { ...process.env, PATH: path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8192)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8192)));
  child.on('error', (e) => (output += `\n${e.message}`));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${output}`);
    }
    const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8', env: { ...process.env, PATH: path } });
    if (ping.stdout.trim() === 'PONG') break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, prefix, stop };
}

/** node's arguments that start the fuseflow CLI from the sources, from any folder. */
export const FUSEFLOW_NODE_ARGS: readonly string[] = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, resolve('src/cli/main.ts')];

/** A fuseflow process started by a test. */
export interface FuseflowProcess {
  readonly child: ChildProcess;
  /** What it printed so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** Resolves when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when its stderr matches `pattern`; rejects after `ms` or when it exits first. */
  readonly waitForErr: (pattern: RegExp, ms: number) => Promise<void>;
}

/** Starts `fuseflow ARGS…` from the sources in `cwd` (node directly: `child.pid` is fuseflow's). */
export function startFuseflow(args: readonly string[], cwd: string): FuseflowProcess {
  const child = spawn(process.execPath, [...FUSEFLOW_NODE_ARGS, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const waitForErr = async (pattern: RegExp, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pattern.test(err)) {
      if (done) throw new Error(`fuseflow ${args.join(' ')} exited before printing ${String(pattern)}:\n${err}`);
      if (Date.now() > deadline) throw new Error(`fuseflow ${args.join(' ')} did not print ${String(pattern)} within ${ms} ms:\n${err}`);
      await sleep(20);
    }
  };
  return { child, out: () => out, err: () => err, exited, waitForErr };
}

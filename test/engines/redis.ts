/**
 * A real Redis for tests (see ../shared/recipes/redis-for-tests.md): Debian's redis-server started
 * by the test on a free loopback port, with a temporary data folder and nothing kept on disk
 * (`--save '' --appendonly no`), in the foreground so its PID is the child's; stopped by that PID.
 * When FUSEFLOW_REDIS_URL names a server, that one is used instead (and left running). Each test
 * file uses a key prefix of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingPrograms } from './engine-suite.js';
import { freePort, startServerProcess } from './server-process.js';

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
  const server = startServerProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], dir, {
    env: { ...process.env, PATH: path },
  });
  const stop = server.stop;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exited()) {
      await stop();
      throw new Error(`redis-server exited (${server.child.exitCode ?? server.child.signalCode}) before answering PING:\n${server.output()}`);
    }
    const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8', env: { ...process.env, PATH: path } });
    if (ping.stdout.trim() === 'PONG') break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms:\n${server.output()}`);
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

/**
 * What the engine harnesses (redis.ts, s3.ts, slurm.ts) share: a free loopback port, and a server
 * started as a child process whose output tail is kept for error messages and which is stopped
 * by its PID (SIGTERM, SIGKILL after 10 s) with its data folder removed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** A loopback TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
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

/** A server process started by a test. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** The last 8 KiB of its stdout and stderr (and a spawn error), for error messages. */
  readonly output: () => string;
  /** Whether it has exited. */
  readonly exited: () => boolean;
  /** Stops it by its PID (SIGTERM, SIGKILL after 10 s), waits for its exit, removes `dir`. */
  readonly stop: () => Promise<void>;
}

/** Spawns `command args` (stdio piped) as a server whose data folder is `dir`. */
export function startServerProcess(command: string, args: readonly string[], dir: string, options: Pick<SpawnOptions, 'env'> = {}): ServerProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => (output += `\n${e.message}`));
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (!exited() && child.pid !== undefined) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, output: () => output, exited, stop };
}

/**
 * A real S3-compatible server for tests: the npm package s3rver (a dev dependency), started by the
 * test as its own process on a free loopback port with a temporary data folder and one bucket,
 * stopped by its PID. Requests are signed as for AWS (s3rver's default keys, S3RVER/S3RVER) and
 * addressed path-style, as fuseflow addresses any store named by an endpoint.
 *
 * Also a fault injector for one test: a loopback HTTP proxy in front of the server that forwards
 * every request unchanged, except that it holds (never answers) the first request whose path
 * matches a pattern, so a client can be killed at a known point of an upload.
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeOrSkip } from './engine-suite.js';
import { freePort, startServerProcess } from './server-process.js';

/** s3rver's own keys (it checks signatures against them). */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' } as const;

/** The path of s3rver's command line, or undefined when the package is not installed. */
function s3rverBin(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  } catch {
    return undefined;
  }
}

/**
 * `describe(title, body)` when s3rver is installed; otherwise a skipped suite saying to run
 * `npm ci` (it is a dev dependency), or, under FUSEFLOW_REQUIRE_ENGINES=1, one failing test.
 */
export function describeS3(title: string, body: () => void): void {
  describeOrSkip(title, s3rverBin() !== undefined ? undefined : 'the S3-compatible test server s3rver is not installed: npm ci (it is a dev dependency)', body);
}

/** A running server. */
export interface S3Server {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** The bucket made at start-up. */
  readonly bucket: string;
  /** The server's PID. */
  readonly pid: number;
  /** Stops the server by its PID and removes its data folder. */
  readonly stop: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Starts s3rver with the bucket `bucket` and waits until it accepts connections.
 * @throws when it exits or does not listen within `timeoutMs`, with its output.
 */
export async function startS3(bucket: string, timeoutMs = 20_000): Promise<S3Server> {
  const bin = s3rverBin();
  if (bin === undefined) throw new Error('s3rver is not installed (npm ci)');
  const dir = mkdtempSync(join(tmpdir(), 'fuseflow-s3rver-'));
  const port = await freePort();
  const server = startServerProcess(process.execPath, [bin, '--directory', dir, '--address', '127.0.0.1', '--port', String(port), '--silent', '--configure-bucket', bucket], dir);
  const stop = server.stop;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exited()) {
      await stop();
      throw new Error(`s3rver exited (${server.child.exitCode ?? server.child.signalCode}) before listening:\n${server.output()}`);
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`s3rver did not listen on port ${port} within ${timeoutMs} ms:\n${server.output()}`);
    }
    await sleep(100);
  }
  // --configure-bucket makes the bucket after the server listens: wait until it answers for it.
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'HEAD', path: `/${bucket}` }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    if (status !== 404 && status !== 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`s3rver did not make bucket ${bucket} within ${timeoutMs} ms:\n${server.output()}`);
    }
    await sleep(100);
  }
  return { endpoint: `http://127.0.0.1:${port}`, bucket, pid: server.child.pid as number, stop };
}

/** A proxy in front of a server that holds the first request whose method and path match. */
export interface HoldingProxy {
  readonly endpoint: string;
  /** Resolves with the held request's path once one is held. */
  readonly held: Promise<string>;
  /** Drops the held request and stops the proxy. */
  readonly close: () => Promise<void>;
}

/** Starts a {@link HoldingProxy} to `upstream` (`http://127.0.0.1:PORT`) holding the first `method` request whose path matches `pattern`. */
export async function holdingProxy(upstream: string, method: string, pattern: RegExp): Promise<HoldingProxy> {
  const target = new URL(upstream);
  let holding: IncomingMessage | undefined;
  let onHeld: (path: string) => void = () => undefined;
  const held = new Promise<string>((r) => (onHeld = r));
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    if (holding === undefined && req.method === method && pattern.test(req.url ?? '')) {
      holding = req;
      req.resume(); // read the body, answer nothing
      onHeld(req.url ?? '');
      return;
    }
    const fwd = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    held,
    close: () =>
      new Promise<void>((r) => {
        holding?.socket.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

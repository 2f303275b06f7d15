/**
 * `--queue redis://[USER:PASSWORD@]HOST:PORT[/DB]` (or `rediss://` for TLS) as the connection
 * options BullMQ hands to ioredis. Only these two schemes; anything else is refused by name.
 */
import { OptionsError } from '../../core/errors.js';

/** The ioredis options of a queue URL. */
export interface QueueConnection {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: Record<string, never>;
  /** BullMQ workers need blocking commands to wait forever (their own retry logic). */
  readonly maxRetriesPerRequest: null;
  /** ioredis' reconnect delay in ms after `times` failures, or null to give up. */
  readonly retryStrategy: (times: number) => number | null;
}

/**
 * Parses `--queue URL`. The connection retries every 0.2–2 s, forever (a worker waits for its
 * queue) or until `giveUpAfterMs` has passed since the first failure (a submitter reports it).
 *
 * @example queueConnection('redis://127.0.0.1:6379/2') // → { host: '127.0.0.1', port: 6379, db: 2, maxRetriesPerRequest: null }
 * @throws {OptionsError} for another scheme, a missing host or a bad port / database number.
 */
export function queueConnection(url: string, options: { giveUpAfterMs?: number } = {}): QueueConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionsError(`--queue '${url}' is not a URL (expected redis://HOST:PORT)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new OptionsError(`--queue '${url}' must start with redis:// or rediss://`);
  if (u.hostname === '') throw new OptionsError(`--queue '${url}' names no host (expected redis://HOST:PORT)`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new OptionsError(`--queue '${url}': the database after the port must be a number, got '${dbText}'`);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: retryFor(options.giveUpAfterMs),
  };
}

function retryFor(giveUpAfterMs: number | undefined): (times: number) => number | null {
  let firstFailure: number | undefined;
  return (times) => {
    const now = Date.now();
    firstFailure ??= now;
    if (times <= 1) firstFailure = now;
    if (giveUpAfterMs !== undefined && now - firstFailure > giveUpAfterMs) return null;
    return Math.min(200 * times, 2000);
  };
}

/** The BullMQ queue every submitter and worker of one `--prefix` shares. */
export const QUEUE_NAME = 'shards';

/** A key prefix: letters, digits, `_`, `-`, `.` (no `:`, which BullMQ uses between key parts). */
export function checkPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new OptionsError(`--prefix '${prefix}' may hold only letters, digits, '_', '-' and '.' (1 to 64 of them)`);
  return prefix;
}

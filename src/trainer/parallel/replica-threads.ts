/**
 * The worker threads of a replica pool: starts one `replica-worker` per {@link ReplicaInit},
 * waits until each has built its model, and exchanges one message per step with each (the
 * slice out, its reply back). A replica that crashes or exits sets `CONTROL.abort` (and wakes
 * the barrier), so the other participants of a sharded step give up instead of waiting for it,
 * and fails its pending and later requests with a {@link FuseflowError} naming it.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FuseflowError } from '../../core/errors.js';
import { workerEntry } from '../../core/workers.js';
import { transferablesOf } from '../../workers/transfer-list.js';
import { CONTROL, type ReplicaIdle, type ReplicaInit, type ReplicaReply, type ReplicaStep } from './replica-protocol.js';

/** Running replica threads. */
export interface ReplicaThreads {
  /** Replica threads (participants 1…N−1 of the pool, in order). */
  readonly count: number;
  /**
   * Posts `msg` to replica thread `j` (0-based) and resolves with its reply. `keep`: the caller's
   * buffers, copied rather than moved; the slice's own typed arrays are moved.
   * @throws {FuseflowError} (rejects) when that replica crashed or exited.
   */
  ask(j: number, msg: ReplicaStep | ReplicaIdle, keep: ReadonlySet<ArrayBufferLike>): Promise<ReplicaReply>;
  /** The first replica failure (crash, exit), or null. */
  failure(): Error | null;
  /** Stops the threads. */
  close(): Promise<void>;
}

interface Replica {
  readonly worker: Worker;
  pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | null;
  failure: Error | null;
}

/**
 * Starts a replica thread per entry of `inits` and waits until each is ready.
 * @example const threads = await startReplicaThreads([init1], control);
 * @throws {FuseflowError} with the replica's message when one cannot build its model (all are stopped).
 */
export async function startReplicaThreads(inits: readonly ReplicaInit[], control: Int32Array): Promise<ReplicaThreads> {
  const entry = workerEntry(import.meta.url, './replica-worker');
  // from TypeScript sources, Node 20 ignores `--import tsx` in workers: a bootstrap registers tsx
  const filename = entry.filename.endsWith('.ts') ? fileURLToPath(new URL('./replica-worker-tsx.mjs', import.meta.url)) : entry.filename;
  const replicas: Replica[] = inits.map((init) => {
    const replica: Replica = { worker: new Worker(filename, { workerData: init }), pending: null, failure: null };
    const fail = (err: Error): void => {
      replica.failure ??= err;
      // participants waiting at a barrier for this one give up
      Atomics.store(control, CONTROL.abort, 1);
      Atomics.notify(control, CONTROL.arrive);
      replica.pending?.reject(err);
      replica.pending = null;
    };
    replica.worker.on('message', (r: ReplicaReply) => {
      const p = replica.pending;
      replica.pending = null;
      p?.resolve(r);
    });
    replica.worker.on('error', (err) => fail(new FuseflowError(`replica ${init.index} crashed: ${err.message}`, { cause: err })));
    replica.worker.on('exit', (code) => fail(new FuseflowError(`replica ${init.index} exited (code ${code})`)));
    return replica;
  });
  const request = (r: Replica, msg: ReplicaStep | ReplicaIdle | null, keep: ReadonlySet<ArrayBufferLike>): Promise<ReplicaReply> =>
    new Promise<ReplicaReply>((resolve, reject) => {
      if (r.failure !== null) return reject(r.failure);
      r.pending = { resolve, reject };
      if (msg !== null) r.worker.postMessage(msg, msg.batch === null ? [] : transferablesOf(msg.batch, keep));
    });
  const close = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
  };
  const started = await Promise.allSettled(replicas.map((r) => request(r, null, new Set())));
  const bad = started.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : s.value.kind === 'error' ? s.value.message : null)).find((m) => m !== null);
  if (bad !== undefined && bad !== null) {
    await close();
    throw new FuseflowError(bad);
  }
  return {
    count: replicas.length,
    ask(j, msg, keep) {
      const r = replicas[j];
      if (r === undefined) return Promise.reject(new FuseflowError(`replica pool: no replica thread ${j}`));
      return request(r, msg, keep);
    },
    failure: () => replicas.find((r) => r.failure !== null)?.failure ?? null,
    close,
  };
}

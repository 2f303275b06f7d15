/**
 * `fuseflow submit cache-fill|eval [the command's flags] --queue redis://HOST:PORT --shards N`:
 * puts one sharded run on a Redis queue as a BullMQ flow — N shard jobs under the commit / merge
 * job, which runs when every shard is done — then shows progress until that job ends, and exits
 * with its result: the merge's output on stdout (what `fuseflow eval` prints) or the commit line;
 * non-zero naming the failed shard and its error. `fuseflow worker` processes run the jobs. An
 * eval whose metrics need refinement passes runs them as further rounds (src/cli/queue/eval-rounds.ts),
 * each added by the worker that ran the previous merge; the submitter follows them to the last.
 */
import { mkdirSync } from 'node:fs';
import { FlowProducer, Job, Queue } from 'bullmq';
import { outputErrorOf } from '../../core/safe-fs.js';
import { shellLine } from '../emit/shell-words.js';
import { queueConnection, QUEUE_NAME } from '../queue/queue-url.js';
import { parseSubmit, type SubmitPlan } from '../queue/submit-plan.js';
import type { JobResult } from './worker.js';
import { parseOrExit } from './parse-or-exit.js';

const USAGE = `usage: fuseflow submit cache-fill|eval [the command's flags] --queue redis://HOST:PORT --shards N [options]

Puts a sharded fuseflow run on a Redis queue (a BullMQ flow) for 'fuseflow worker' processes on
any machines that share the filesystem: N shard jobs, then the job that joins them, started by
the queue when every shard is done. Flags submit does not know are the command's own, passed on
unchanged (after a bare -- every argument is). Relative paths mean what they mean here: the jobs
run in this folder.

  fuseflow submit eval --input 'preds/*.arrow' --pred p --target y --json \\
      --queue redis://10.0.0.5:6379 --shards 64 --run-dir /shared/eval-run
  fuseflow submit cache-fill data/my-dataset.js --to /shared/cache \\
      --queue redis://10.0.0.5:6379 --shards 256

  cache-fill  shard i: fuseflow cache fill MODULE … --to SHARED_DIR --shards N --index i
              then:    fuseflow cache commit SHARED_DIR
  eval        shard i: fuseflow eval … --shard i/N --state-out RUN_DIR/states/shard-i-of-N.state
              then:    fuseflow eval merge RUN_DIR/states/shard-{0…N-1}-of-N.state [--json]
                       [--report F] --next-pass-out RUN_DIR/plan-1.state; its output is printed
                       here. --json, --report and --overwrite go to the merge, every other eval
                       flag to the shards.
              When a metric needs another pass over the inputs (exact AUC/AP refinement), that
              merge writes the plan instead of results and the worker that ran it adds round 2:
              fuseflow eval … --shard i/N --pass RUN_DIR/plan-1.state
                  --state-out RUN_DIR/states/pass-1-shard-i-of-N.state
              under the merge of those files (--next-pass-out RUN_DIR/plan-2.state), and so on
              until a merge prints the results: every round reads each shard's share on its
              own worker; no job reads all the inputs.

It prints the shards done / total and ids/s (cache-fill) or rows/s (eval), per round, on stderr
until the final job ends. A failed job is retried (--attempts, with doubling --backoff); a shard
that still fails fails the run: the exit code is 1 and the message names the shard and its error.

  --queue URL        redis://[USER:PASSWORD@]HOST:PORT[/DB] (or rediss:// for TLS)
  --shards N         number of shard jobs
  --prefix P         key prefix in Redis (default fuseflow); workers must use the same
  --attempts K       tries per job, first included (default 3)
  --backoff MS       delay before the first retry, doubling after (default 5000)
  --run-dir DIR      eval: a folder every worker sees, for the shard states (required)
  --job-timeout S    the longest one attempt of a job may run, in seconds (a worker's own
                     --job-timeout caps it); a job past it is stopped and fails, and is retried
                     per --attempts
  --run-id ID        names the jobs ID-shard-i and ID-commit|merge, and an eval's extra
                     passes ID-pass-K-shard-i and ID-pass-K-merge (default: from the time and
                     this process); an ID already in the queue is refused
  --no-progress      no progress lines

exit codes: 0 the final job succeeded, 1 a job failed (or the run id exists), 2 usage`;

/** The final job's name. */
function finalName(plan: SubmitPlan): 'commit' | 'merge' {
  return plan.kind === 'cache-fill' ? 'commit' : 'merge';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long the submitter waits for Redis to answer before it gives up. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The ids or rows the finished shards reported (the final job's children's return values). */
async function doneCount(parent: Job): Promise<number> {
  const values = (await parent.getChildrenValues()) as Record<string, JobResult | undefined>;
  let count = 0;
  for (const v of Object.values(values)) count += v?.count ?? 0;
  return count;
}

/** The round the submitter follows: its merge (or commit) job and its shard jobs. */
interface Followed {
  readonly round: number;
  readonly finalId: string;
  readonly shardIds: readonly string[];
}

/** Why the run failed: the shards of the round that failed (index, attempts, error) or the final job's error. */
async function failureOf(queue: Queue, plan: SubmitPlan, round: Followed, parent: Job): Promise<string> {
  const lines: string[] = [];
  const where = round.round === 1 ? '' : `round ${round.round} `;
  for (const [i, id] of round.shardIds.entries()) {
    const job = await Job.fromId(queue, id);
    if (job !== undefined && (await job.getState()) === 'failed')
      lines.push(`${where}shard ${i}/${plan.shards} (job ${job.id ?? ''}) failed after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}: ${job.failedReason}`);
  }
  if (lines.length > 0) return lines.join('\n');
  return `${where}${finalName(plan)} (job ${parent.id ?? ''}) failed after ${parent.attemptsMade} attempt${parent.attemptsMade === 1 ? '' : 's'}: ${parent.failedReason}`;
}

async function submit(plan: SubmitPlan): Promise<number> {
  const connection = queueConnection(plan.queue, { giveUpAfterMs: CONNECT_TIMEOUT_MS });
  const queue = new Queue(QUEUE_NAME, { connection, prefix: plan.prefix });
  const flow = new FlowProducer({ connection, prefix: plan.prefix });
  const finalId = `${plan.runId}-${finalName(plan)}`;
  let lastError = '';
  queue.on('error', (err) => (lastError = err.message));
  flow.on('error', (err) => (lastError = err.message));
  const noted = (err: unknown): false => {
    lastError = err instanceof Error ? err.message : String(err);
    return false;
  };
  void flow.waitUntilReady().catch(noted);
  const reached = await Promise.race([queue.waitUntilReady().then(() => true, noted), sleep(CONNECT_TIMEOUT_MS + 1000).then(() => false)]);
  if (!reached) {
    console.error(`fuseflow submit: cannot reach the queue at ${plan.queue} within ${CONNECT_TIMEOUT_MS / 1000} s${lastError === '' ? '' : ` (${lastError})`}`);
    return 1; // the connections gave up retrying: nothing is left open
  }
  try {
    const existing = await Job.fromId(queue, finalId);
    if (existing !== undefined) {
      console.error(`fuseflow submit: run id '${plan.runId}' is already in the queue (its ${finalName(plan)} job is ${await existing.getState()}); give another --run-id`);
      return 1;
    }
    if (plan.runDir !== undefined) {
      try {
        mkdirSync(`${plan.runDir}/states`, { recursive: true });
      } catch (err) {
        throw outputErrorOf(`${plan.runDir}/states`, err, 'cannot make the run folder');
      }
    }
    const opts = { attempts: plan.attempts, backoff: { type: 'exponential', delay: plan.backoffMs } };
    await flow.add({
      name: finalName(plan),
      queueName: QUEUE_NAME,
      data: plan.finalJob,
      opts: { ...opts, jobId: finalId },
      children: plan.shardJobs.map((data, i) => ({
        name: `shard-${i}`,
        queueName: QUEUE_NAME,
        data,
        opts: { ...opts, jobId: `${plan.runId}-shard-${i}`, failParentOnFailure: true },
      })),
    });
    const unit = plan.kind === 'cache-fill' ? 'ids' : 'rows';
    console.error(`fuseflow submit: enqueued run ${plan.runId}: ${plan.shards} shard jobs, then ${finalName(plan)} (queue ${plan.prefix}:${QUEUE_NAME})`);
    console.error(`  shard 0: fuseflow ${shellLine(plan.shardJobs[0]?.argv ?? [])}`);
    const started = performance.now();
    let roundStarted = started;
    let lastKey = '';
    let lastAt = 0;
    let lastDone = -1;
    let counted = 0;
    let round: Followed = { round: 1, finalId, shardIds: plan.shardJobs.map((_, i) => `${plan.runId}-shard-${i}`) };
    for (;;) {
      const parent = await Job.fromId(queue, round.finalId);
      if (parent === undefined) {
        console.error(`fuseflow submit: the ${finalName(plan)} job ${round.finalId} is gone from the queue (removed by someone?)`);
        return 1;
      }
      const state = await parent.getState();
      if (state === 'completed') {
        const result = parent.returnvalue as JobResult;
        if (result.next !== undefined) {
          // The merge planned another refinement round, and the worker that ran it added the round's jobs.
          const { next } = result;
          console.error(
            `fuseflow submit: round ${round.round} merged: round ${next.round} needed (${next.passes.join('; ')}): ${next.shardIds.length} pass shard jobs, then ${next.mergeId}`,
          );
          round = { round: next.round, finalId: next.mergeId, shardIds: next.shardIds };
          roundStarted = performance.now();
          lastDone = -1;
          counted = 0;
          continue;
        }
        process.stdout.write(result.stdout);
        const rounds = round.round === 1 ? '' : ` × ${round.round} rounds`;
        console.error(`fuseflow submit: run ${plan.runId} done: ${plan.shards} shards${rounds} and ${finalName(plan)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        return 0;
      }
      if (state === 'failed') {
        console.error(`fuseflow submit: run ${plan.runId} failed:\n${await failureOf(queue, plan, round, parent)}`);
        return 1;
      }
      const deps = await parent.getDependenciesCount({ processed: true });
      const processed = deps.processed ?? 0;
      if (processed !== lastDone) {
        counted = await doneCount(parent);
        lastDone = processed;
      }
      if (plan.progress) {
        const seconds = (performance.now() - roundStarted) / 1000;
        const rate = seconds > 0 ? counted / seconds : 0;
        const stage = processed >= plan.shards ? `${finalName(plan)} ${state}` : 'shards running';
        const where = round.round === 1 ? '' : `round ${round.round}: `;
        const line = `${where}shards ${processed}/${plan.shards} done · ${counted.toLocaleString('en-US')} ${unit} (${rate.toFixed(0)} ${unit}/s) · ${stage}`;
        const now = performance.now();
        const key = `${round.round} ${processed} ${state}`;
        if (key !== lastKey || now - lastAt > 10_000) {
          console.error(line);
          lastKey = key;
          lastAt = now;
        }
      }
      await sleep(500);
    }
  } finally {
    await flow.close();
    await queue.close();
  }
}

export function run(args: readonly string[]): Promise<number> {
  const parsed = parseOrExit(args, {
    command: 'submit',
    usage: USAGE,
    parse: (a) => parseSubmit(a, process.cwd(), `${Date.now().toString(36)}-${process.pid}`),
  });
  if ('exit' in parsed) return Promise.resolve(parsed.exit);
  return submit(parsed.args);
}

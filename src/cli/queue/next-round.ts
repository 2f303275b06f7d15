/**
 * What a worker does after an eval merge job of a queued run succeeded: when the merge planned
 * another refinement round (it wrote its `--next-pass-out` plan, not marked complete), add that
 * round's flow — N pass-shard jobs under their merge — to the queue, before the merge job
 * completes. The ids are fixed by run id and round (eval-rounds.ts) and an existing round is not
 * added again, so a merge job that is retried (its worker died after adding the round) or run
 * twice never enqueues a round twice; adding a flow is one Redis transaction, so a round is
 * either all there or not at all.
 */
import type { FlowProducer, Queue } from 'bullmq';
import { Job } from 'bullmq';
import { existsSync } from 'node:fs';
import { QUEUE_NAME } from './queue-url.js';
import { MAX_ROUNDS, planPath, roundJobs } from './eval-rounds.js';
import { checkJob, type CheckedJob, type JobPolicy } from './job-line.js';

/** The round a merge added (or found already added), for the submitter that follows the run. */
export interface NextRound {
  readonly round: number;
  readonly mergeId: string;
  readonly shardIds: readonly string[];
  /** What the round's passes do (from the plan). */
  readonly passes: readonly string[];
  /** Whether this call added it (false: an earlier try of the merge had). */
  readonly added: boolean;
}

/**
 * Adds the round after `merge` when its plan asks for one; `undefined` when the merge printed the
 * results (its plan says complete, or it was the last round a queued run chains).
 * @throws Error naming the plan when it is missing or is not the plan of the next round (the
 *   merge job then fails and is retried like any other).
 */
export async function addNextRound(merge: CheckedJob, queue: Queue, flow: FlowProducer, policy: JobPolicy): Promise<NextRound | undefined> {
  const rounds = merge.rounds;
  if (rounds === undefined || rounds.round >= MAX_ROUNDS) return undefined;
  const plan = planPath(rounds.runDir, rounds.round);
  if (!existsSync(plan)) throw new Error(`the merge of round ${rounds.round} exited 0 but wrote no plan ${plan}`);
  const { readStateFile } = await import('../../eval/shard/state-file.js');
  const { header } = readStateFile(plan);
  if (header.kind !== 'plan' || header.round !== rounds.round + 1)
    throw new Error(
      `${plan}: expected the plan of round ${rounds.round + 1}, found a ${header.kind ?? 'map'} file${header.round === undefined ? '' : ` of round ${header.round}`}`,
    );
  if (header.complete === true) return undefined;
  const next = roundJobs({ ...rounds, round: rounds.round + 1 }, merge.cwd, merge.timeoutS);
  // The same whitelist the worker that runs them applies; refuse here rather than enqueue a round no worker runs.
  for (const job of [...next.shardJobs, next.mergeJob]) checkJob(job, policy);
  const passes = header.passes ?? [];
  if ((await Job.fromId(queue, next.mergeId)) !== undefined) return { round: next.round, mergeId: next.mergeId, shardIds: next.shardIds, passes, added: false };
  const opts = { attempts: rounds.attempts, backoff: { type: 'exponential', delay: rounds.backoffMs } };
  await flow.add({
    name: `pass-${next.round - 1}-merge`,
    queueName: QUEUE_NAME,
    data: next.mergeJob,
    opts: { ...opts, jobId: next.mergeId },
    children: next.shardJobs.map((data, i) => ({
      name: `pass-${next.round - 1}-shard-${i}`,
      queueName: QUEUE_NAME,
      data,
      opts: { ...opts, jobId: next.shardIds[i] as string, failParentOnFailure: true },
    })),
  });
  return { round: next.round, mergeId: next.mergeId, shardIds: next.shardIds, passes, added: true };
}

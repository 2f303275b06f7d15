/**
 * `fuseflow emit slurm|k8s cache-fill|eval [the command's flags] --shards N --out FILE`: writes
 * what a scheduler needs to run a sharded fuseflow command — a Slurm script (array job + the
 * dependent commit/merge job) or Kubernetes manifests (Indexed Job + the commit/merge Job). It
 * only writes files; it submits nothing. Existing files are refused unless `--overwrite`.
 */
import { chmodSync } from 'node:fs';
import { OptionsError } from '../../core/errors.js';
import { checkOutputTarget, outputErrorOf, writeFileAtomic } from '../../core/safe-fs.js';
import { parseEmitRequest, type EmitRequest } from '../emit/emit-request.js';
import { k8sManifests } from '../emit/k8s-manifests.js';
import { shardSteps } from '../emit/shard-steps.js';
import { shellLine } from '../emit/shell-words.js';
import { slurmScript } from '../emit/slurm-script.js';
import { parseOrExit } from './parse-or-exit.js';

const USAGE = `usage: fuseflow emit slurm|k8s cache-fill|eval [the command's flags] --shards N --out FILE [options]

Writes the files that run a fuseflow command as N shards on a scheduler, then the step that joins
them; it submits nothing. Every flag emit does not know is the command's own and is passed on
unchanged (after a bare -- every argument is), so the line reads like the command itself:

  fuseflow emit slurm eval --input 'preds/*.arrow' --pred p --target y --json \\
      --shards 64 --max-parallel 16 --time 1:00:00 --cpus-per-task 4 --out eval.sbatch
  bash eval.sbatch      # submits the array job, then the jobs that wait for it

  cache-fill  shard i: fuseflow cache fill DATASET_MODULE … --to SHARED_DIR --shards N --index i
              then:    fuseflow cache commit SHARED_DIR (needs --to among the command's flags)
  eval        shard i: fuseflow eval … --shard i/N --state-out RUN/states/shard-i-of-N.state
              (a rerun recomputes it, replacing its own state of the same run; a file of
              another run is refused by name)
              then:    fuseflow eval merge RUN/states/shard-{0…N-1}-of-N.state
                       --next-pass-out RUN/plan-1.state (the refinement round: exact AUC/AP)
              shard i: fuseflow eval … --shard i/N --pass RUN/plan-1.state
                       --state-out RUN/states/pass-1-shard-i-of-N.state (exits at once
                       when that file holds this shard's pass of the same plan, replaces one
                       of an earlier plan; reads nothing when the plan says no pass is needed)
              then:    fuseflow eval merge RUN/states/pass-1-shard-{0…N-1}-of-N.state [--json]
              [--report F] into RUN/result.json (with --json) or RUN/result.txt (a third
              round, rare, is read by this merge itself). --json and --report go to the
              final merge (and eval's --overwrite, given after --), every other eval flag
              to the shards.

slurm: FILE is one bash script. 'bash FILE' submits FILE itself as an array job
  (sbatch --array=0-(N-1)%K, task i = shard i) and as the commit/merge job with
  --dependency=afterok:<array job> (cancelled if any shard fails); eval: the plan job and
  the pass array job go between them, each afterok the one before. Jobs run in the folder
  emit ran in (#SBATCH --chdir), so relative paths mean the same there. Logs:
  RUN/logs/shard-<i>.out|.err and RUN/logs/<commit|merge>.out|.err (eval: also plan and
  pass-<i>). Slurm refuses arrays past its MaxArraySize (default 1001; see scontrol show
  config).
k8s: FILE is an Indexed Job (completionMode: Indexed, completions N, parallelism K,
  env FUSEFLOW_WORLD_SIZE=N; pod i runs shard JOB_COMPLETION_INDEX=i); the commit/merge Job is
  written beside it as FILE-<commit|merge>.yaml (eval: also FILE-plan.yaml and the pass
  Indexed Job FILE-pass.yaml). Apply FILE, 'kubectl wait --for=condition=complete job/NAME',
  then the next (eval: plan, pass, merge); FILE's header has the lines in order.

  --shards N            number of shards (array tasks / completions)
  --out FILE            the file to write
  --max-parallel K      at most K shards at once (default: all)
  --run-dir DIR         logs, per-shard states and the merged result (default: FILE without its
                        extension + '-run'; k8s: MOUNT/JOB_NAME, an absolute path in the pods)
  --job-name NAME       default fuseflow-<cache-fill|eval>
  --fuseflow "CMD"      how a job starts fuseflow (default: fuseflow), e.g.
                        "node /opt/fuseflow/bin/fuseflow.js" or "apptainer exec img.sif fuseflow"
  --cpus-per-task C     CPUs per shard (each shard also gets --threads C unless given)
  --mem M               memory per shard (Slurm: 16G; Kubernetes: 16Gi)
  --overwrite           replace existing output files
 slurm only:
  --partition P  --time T (e.g. 2:00:00)  --account A
 k8s only:
  --image IMAGE         container image with fuseflow installed (required)
  --pvc CLAIM           PersistentVolumeClaim the pods share, mounted at --mount and used as
                        their working folder
  --mount PATH          where the claim is mounted in the pods (default /data)

exit codes: 0 written, 1 an output file exists or cannot be written, 2 usage`;

/** The command line as the user typed it (for the files' headers). */
function emittedBy(args: readonly string[]): string {
  return shellLine(['fuseflow', 'emit', ...args]);
}

/** The path of the second Kubernetes manifest: `eval.yaml` → `eval-merge.yaml`. */
function finalFileOf(req: EmitRequest, finalName: string): string {
  const m = /^(.*?)(\.ya?ml)?$/.exec(req.out);
  return `${m?.[1] ?? req.out}-${finalName}${m?.[2] ?? '.yaml'}`;
}

/** Writes the files; returns the exit code. */
function emit(args: readonly string[]): number {
  const parsed = parseOrExit(args, {
    command: 'emit',
    usage: USAGE,
    parse: (a) => {
      const req = parseEmitRequest(a, process.cwd());
      return { req, steps: shardSteps(req) };
    },
  });
  if ('exit' in parsed) return parsed.exit;
  const { req, steps } = parsed.args;
  const by = emittedBy(args);
  const files: [string, string][] = [];
  if (req.engine === 'slurm') files.push([req.out, slurmScript(req, steps, by)]);
  else {
    const finalFile = finalFileOf(req, steps.finalName);
    if (finalFile === req.out) throw new OptionsError(`--out '${req.out}' leaves no name for the ${steps.finalName} Job`);
    const roundFiles = steps.round === undefined ? {} : { plan: finalFileOf(req, 'plan'), pass: finalFileOf(req, 'pass') };
    const { indexedJob, round, finalJob } = k8sManifests(req, steps, by, { final: finalFile, ...roundFiles });
    files.push([req.out, indexedJob]);
    if (round !== undefined && roundFiles.plan !== undefined && roundFiles.pass !== undefined) files.push([roundFiles.plan, round.planJob], [roundFiles.pass, round.passJob]);
    files.push([finalFile, finalJob]);
  }
  // Check every target before writing any, so a refusal leaves nothing half-written.
  for (const [file] of files) checkOutputTarget(file, { overwrite: req.overwrite });
  for (const [file, text] of files) {
    writeFileAtomic(file, text, { overwrite: req.overwrite });
    console.log(`wrote ${file}`);
  }
  if (req.engine === 'k8s' && req.pvc === undefined) {
    console.error(`note: no --pvc: the pods share nothing; mount the storage that holds the inputs and ${req.runDir} in both manifests`);
  }
  if (req.engine === 'slurm') {
    try {
      chmodSync(req.out, 0o755);
    } catch (err) {
      throw outputErrorOf(req.out, err, 'cannot make executable');
    }
    console.log(`submit with: bash ${req.out}`);
    if (req.shards > 1001) console.error(`note: ${req.shards} array tasks exceed Slurm's default MaxArraySize (1001); check: scontrol show config | grep MaxArraySize`);
  }
  return 0;
}

export function run(args: readonly string[]): Promise<number> {
  return Promise.resolve().then(() => emit(args));
}

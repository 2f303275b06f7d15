/**
 * The Slurm script `fuseflow emit slurm` writes: one self-contained bash file. Run with no
 * argument (`bash FILE`) it submits itself: as an array job (`--array=0-(N-1)[%K]`, each
 * task running the shard step for `$SLURM_ARRAY_TASK_ID`) and as the commit/merge job, which
 * waits for the whole array with `--dependency=afterok:ARRAY_ID` (and is cancelled if a shard
 * fails). With a refinement round (eval), two more in between: the plan job (afterok the array)
 * and the pass array job (afterok the plan job), the merge job then waiting for the pass array.
 * The `#SBATCH` lines hold the resources every job shares.
 */
import type { EmitRequest } from './emit-request.js';
import { fuseflowFunction, type ShardSteps } from './shard-steps.js';
import { shellQuote } from './shell-words.js';

/** The `#SBATCH` directives shared by the array and the final job. */
function directives(req: EmitRequest): string[] {
  const lines = [`#SBATCH --job-name=${req.jobName}`, `#SBATCH --chdir=${req.workDir}`];
  if (req.partition !== undefined) lines.push(`#SBATCH --partition=${req.partition}`);
  if (req.account !== undefined) lines.push(`#SBATCH --account=${req.account}`);
  if (req.time !== undefined) lines.push(`#SBATCH --time=${req.time}`);
  if (req.cpusPerTask !== undefined) lines.push(`#SBATCH --cpus-per-task=${req.cpusPerTask}`);
  if (req.mem !== undefined) lines.push(`#SBATCH --mem=${req.mem}`);
  lines.push('#SBATCH --ntasks=1');
  return lines;
}

const indent = (lines: readonly string[]): string[] => lines.map((l) => `    ${l}`);

/**
 * The script's text.
 *
 * @example slurmScript(req, shardSteps(req)) // → '#!/bin/bash\n# fuseflow eval on Slurm: 4 shards …'
 */
export function slurmScript(req: EmitRequest, steps: ShardSteps, emittedBy: string): string {
  const n = req.shards;
  const array = `0-${n - 1}${req.maxParallel !== undefined && req.maxParallel < n ? `%${req.maxParallel}` : ''}`;
  const run = shellQuote(req.runDir);
  const round = steps.round;
  const layout = [
    `#   ${req.runDir}/logs/shard-<i>.out, .err   each shard's output (i = 0 … ${n - 1})`,
    ...(round === undefined ? [] : [`#   ${req.runDir}/logs/plan.out, .err, pass-<i>.out, .err   the refinement round's plan and each shard's pass`]),
    `#   ${req.runDir}/logs/${steps.finalName}.out, .err     the ${steps.finalName} step's output`,
    ...(steps.result !== undefined
      ? [
          `#   ${req.runDir}/states/                  one metric state per shard${round === undefined ? '' : ' (and one pass state per shard)'}`,
          `#   ${steps.result}   the merged result, once every shard succeeded`,
        ]
      : []),
  ];
  const after = round === undefined ? 'array_job' : 'pass_job';
  const submitRound =
    round === undefined
      ? []
      : [
          `    plan_job=$(sbatch --parsable --dependency=afterok:"$array_job" --kill-on-invalid-dep=yes --output="$RUN/logs/plan.out" --error="$RUN/logs/plan.err" "$self" plan)`,
          '    plan_job=${plan_job%%;*}',
          `    pass_job=$(sbatch --parsable --array=${array} --dependency=afterok:"$plan_job" --kill-on-invalid-dep=yes --output="$RUN/logs/pass-%a.out" --error="$RUN/logs/pass-%a.err" "$self" pass)`,
          '    pass_job=${pass_job%%;*}',
        ];
  const roundCases =
    round === undefined
      ? []
      : [
          '  plan)',
          ...indent(round.plan),
          '    ;;',
          '  pass)',
          '    i=${SLURM_ARRAY_TASK_ID:?the pass step runs as a task of the pass array job}',
          ...indent(round.pass),
          '    ;;',
        ];
  const chain = round === undefined ? steps.finalName : `plan|pass|${steps.finalName}`;
  return [
    '#!/bin/bash',
    round === undefined
      ? `# fuseflow ${req.kind} on Slurm: ${n} shards (array job ${array}), then ${steps.finalName} once all succeeded.`
      : `# fuseflow ${req.kind} on Slurm: ${n} shards (array job ${array}), then a plan job, a refinement pass of each shard (array job), then ${steps.finalName}; each once the previous all succeeded.`,
    `# Written by: ${emittedBy}`,
    '#',
    round === undefined
      ? '# Submit:  bash THIS_FILE            (sbatch the array, then the dependent ' + steps.finalName + ' job; prints both job ids)'
      : `# Submit:  bash THIS_FILE            (sbatch the array, then the dependent plan job, pass array and ${steps.finalName} job; prints the job ids)`,
    `# Watch:   squeue --me;  a failed shard cancels the ${round === undefined ? `${steps.finalName} job` : 'jobs after it'}; submit again to redo what is missing.`,
    `# Jobs run in ${req.workDir} (relative paths in the command mean what they meant there).`,
    '# Files:',
    ...layout,
    ...directives(req),
    '',
    'set -euo pipefail',
    `RUN=${run}`,
    ...fuseflowFunction(req.fuseflow),
    '',
    'case "${1:-submit}" in',
    '  submit)',
    `    if [ -n "\${SLURM_JOB_ID:-}" ] && [ "\${SLURM_JOB_NAME:-}" = ${req.jobName} ]; then echo "submit with: bash $0 (not sbatch: it submits its own jobs)" >&2; exit 2; fi`,
    `    mkdir -p ${steps.folders.map(shellQuote).join(' ')}`,
    '    self=$(readlink -f "$0")',
    `    array_job=$(sbatch --parsable --array=${array} --output="$RUN/logs/shard-%a.out" --error="$RUN/logs/shard-%a.err" "$self" shard)`,
    '    array_job=${array_job%%;*}',
    ...submitRound,
    `    final_job=$(sbatch --parsable --dependency=afterok:"$${after}" --kill-on-invalid-dep=yes --output="$RUN/logs/${steps.finalName}.out" --error="$RUN/logs/${steps.finalName}.err" "$self" ${steps.finalName})`,
    '    final_job=${final_job%%;*}',
    round === undefined
      ? `    echo "array job $array_job (${n} shards), ${steps.finalName} job $final_job"`
      : `    echo "array job $array_job (${n} shards), plan job $plan_job, pass array job $pass_job, ${steps.finalName} job $final_job"`,
    '    ;;',
    '  shard)',
    '    i=${SLURM_ARRAY_TASK_ID:?the shard step runs as a task of the array job}',
    ...indent(steps.shard),
    '    ;;',
    ...roundCases,
    `  ${steps.finalName})`,
    ...indent(steps.final),
    '    ;;',
    '  *)',
    `    echo "usage: bash $0 [submit|shard|${chain}]" >&2`,
    '    exit 2',
    '    ;;',
    'esac',
    '',
  ].join('\n');
}

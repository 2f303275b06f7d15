/**
 * The Slurm script `fuseflow emit slurm` writes: one self-contained bash file. Run with no
 * argument (`bash FILE`) it submits itself twice: as an array job (`--array=0-(N-1)[%K]`, each
 * task running the shard step for `$SLURM_ARRAY_TASK_ID`) and as the commit/merge job, which
 * waits for the whole array with `--dependency=afterok:ARRAY_ID` (and is cancelled if a shard
 * fails). The `#SBATCH` lines hold the resources both jobs share.
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
  const layout = [
    `#   ${req.runDir}/logs/shard-<i>.out, .err   each shard's output (i = 0 … ${n - 1})`,
    `#   ${req.runDir}/logs/${steps.finalName}.out, .err     the ${steps.finalName} step's output`,
    ...(steps.result !== undefined
      ? [`#   ${req.runDir}/states/                  one metric state per shard`, `#   ${steps.result}   the merged result, once every shard succeeded`]
      : []),
  ];
  return [
    '#!/bin/bash',
    `# fuseflow ${req.kind} on Slurm: ${n} shards (array job ${array}), then ${steps.finalName} once all succeeded.`,
    `# Written by: ${emittedBy}`,
    '#',
    '# Submit:  bash THIS_FILE            (sbatch the array, then the dependent ' + steps.finalName + ' job; prints both job ids)',
    '# Watch:   squeue --me;  a failed shard cancels the ' + steps.finalName + ' job; submit again to redo what is missing.',
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
    `    final_job=$(sbatch --parsable --dependency=afterok:"$array_job" --kill-on-invalid-dep=yes --output="$RUN/logs/${steps.finalName}.out" --error="$RUN/logs/${steps.finalName}.err" "$self" ${steps.finalName})`,
    '    final_job=${final_job%%;*}',
    `    echo "array job $array_job (${n} shards), ${steps.finalName} job $final_job"`,
    '    ;;',
    '  shard)',
    '    i=${SLURM_ARRAY_TASK_ID:?the shard step runs as a task of the array job}',
    ...indent(steps.shard),
    '    ;;',
    `  ${steps.finalName})`,
    ...indent(steps.final),
    '    ;;',
    '  *)',
    `    echo "usage: bash $0 [submit|shard|${steps.finalName}]" >&2`,
    '    exit 2',
    '    ;;',
    'esac',
    '',
  ].join('\n');
}

/**
 * `fuseflow eval seg`: scores segmentation label files on disk (predictions against ground
 * truth, paired by case id) with Dice, IoU, HD95 and ASSD per label, bootstrap CIs over cases,
 * printed as a table or one JSON object, optionally written as an HTML report.
 *
 * @example
 * fuseflow eval seg --pred-dir out/ --truth-dir labels/ --ci 1000 --json
 */
import { OptionsError } from '../../core/errors.js';
import { closeIoPool } from '../../ops/image/io/io-pool.js';
import type { BootstrapMethod } from '../../eval/ci/bootstrap-ci.js';
import { CI_METHODS, type CiMethod } from '../../eval/ci/ci-summary.js';
import { DEFAULT_SEED } from '../../eval/ci/default-seed.js';
import { evaluateLabelFiles, type LabelFilesResult } from '../../eval/segmentation/evaluate-label-files.js';
import { writeReport } from '../../eval/report/render-report.js';
import { resultRows } from '../../eval/report/results-table.js';
import { checkEvalOutput } from './eval-output.js';
import { readEvalFlags } from './eval-flags.js';
import { MAX_CI_REPLICATES } from './eval-args.js';

export const EVAL_SEG_USAGE = `usage: fuseflow eval seg --pred-dir DIR --truth-dir DIR [options]

Scores segmentation label files (NIfTI .nii/.nii.gz, MetaImage .mha/.mhd, NRRD, …): each
prediction against its ground truth, per label — Dice, IoU, HD95 (95th percentile Hausdorff
distance) and ASSD (average symmetric surface distance), distances in mm from the files' spacing
(MONAI's definitions) — and the mean per label over cases.

Pairing: a file's case id is its name without the image extension (case1.nii.gz and case1.mha
are both case1), or the first capture group of --pair-pattern. Every prediction needs a ground
truth and every ground truth a prediction: unpaired files are an error listing them. A pair must
share one grid (size, spacing, origin, direction, to float32 precision): otherwise an error names
both files. Label files hold whole numbers (0 = background).

Labels: --labels, else each case's non-zero ground-truth labels. A label the ground truth lacks is
not scored; one the prediction lacks scores Dice 0 and IoU 0 with no distance (counted as
"missing"). Undefined values are null in --json.

  --pred-dir DIR        folder of prediction label files
  --truth-dir DIR       folder of ground-truth label files
  --pair-pattern RE     regular expression whose first group is the case id of a file name,
                        e.g. '^(.*?)(_seg)?\\.nii\\.gz$'
  --labels L1,L2,...    labels to score (positive whole numbers)
  --ci N                bootstrap confidence intervals over cases with N replicates
  --ci-method M         percentile (default), normal or pivotal (as FuseMedML's CI)
  --ci-resample R       fusemedml (default: cases drawn with replacement, numpy's RNG) or rows
                        (Poisson weights keyed by case id)
  --seed S              seed of the bootstrap (default ${DEFAULT_SEED})
  --json                print one JSON object {"metrics", "cases", "missing"} on stdout
  --report FILE.html    write an HTML report (an existing file is refused unless --overwrite)
  --overwrite           let --report replace an existing report file
  --no-progress         no progress lines on stderr`;

interface EvalSegArgs {
  readonly predDir: string;
  readonly truthDir: string;
  readonly pairPattern: string | undefined;
  readonly labels: readonly number[] | undefined;
  readonly ci: number | undefined;
  readonly ciMethod: CiMethod;
  readonly ciResample: Exclude<BootstrapMethod, 'state'>;
  readonly seed: number;
  readonly json: boolean;
  readonly report: string | undefined;
  readonly overwrite: boolean;
  readonly progress: boolean;
  readonly help: boolean;
}

const VALUE_FLAGS = new Set(['--pred-dir', '--truth-dir', '--pair-pattern', '--labels', '--ci', '--ci-method', '--ci-resample', '--seed', '--report']);
const SWITCHES = new Set(['--json', '--overwrite', '--no-progress', '--help']);

/** A whole number in digits within [min, max]. */
function whole(flag: string, text: string, min: number, max: number): number {
  const x = Number(text);
  if (!/^\d+$/.test(text) || x < min || x > max)
    throw new OptionsError(`${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got '${text}'`);
  return x;
}

/**
 * Parses `fuseflow eval seg` arguments.
 *
 * @throws OptionsError for an unknown flag, a missing value, or a missing or invalid option.
 */
export function parseEvalSegArgs(args: readonly string[]): EvalSegArgs {
  const read = readEvalFlags(args, { valued: VALUE_FLAGS, switches: SWITCHES, repeated: 'refuse', usage: EVAL_SEG_USAGE });
  const flags = read.switches;
  const values = new Map([...read.values].map(([flag, given]) => [flag, given[0] as string]));
  const help = flags.has('--help');
  const predDir = values.get('--pred-dir');
  const truthDir = values.get('--truth-dir');
  if (!help && (predDir === undefined || predDir === '')) throw new OptionsError(`--pred-dir is required\n\n${EVAL_SEG_USAGE}`);
  if (!help && (truthDir === undefined || truthDir === '')) throw new OptionsError('--truth-dir is required');
  const labelsText = values.get('--labels');
  const labels = labelsText?.split(',').map((l) => whole('--labels', l.trim(), 1, 2 ** 31 - 1));
  const ciText = values.get('--ci');
  const ciMethod = values.get('--ci-method') ?? 'percentile';
  if (!(CI_METHODS as readonly string[]).includes(ciMethod)) throw new OptionsError(`--ci-method must be ${CI_METHODS.join(', ')}, got '${ciMethod}'`);
  const ciResample = values.get('--ci-resample') ?? 'fusemedml';
  if (ciResample !== 'fusemedml' && ciResample !== 'rows')
    throw new OptionsError(`--ci-resample must be fusemedml or rows (cases have no merged state to resample), got '${ciResample}'`);
  for (const f of ['--ci-method', '--ci-resample', '--seed']) if (values.has(f) && ciText === undefined) throw new OptionsError(`${f} needs --ci N`);
  if (flags.has('--overwrite') && !values.has('--report')) throw new OptionsError('--overwrite applies to --report FILE; give the report file');
  const seedText = values.get('--seed');
  return {
    predDir: predDir ?? '',
    truthDir: truthDir ?? '',
    pairPattern: values.get('--pair-pattern'),
    labels,
    ci: ciText === undefined ? undefined : whole('--ci', ciText, 2, MAX_CI_REPLICATES),
    ciMethod: ciMethod as CiMethod,
    ciResample,
    seed: seedText === undefined ? DEFAULT_SEED : whole('--seed', seedText, 0, 0xffffffff),
    json: flags.has('--json'),
    report: values.get('--report'),
    overwrite: flags.has('--overwrite'),
    progress: !flags.has('--no-progress'),
    help,
  };
}

/** Runs `fuseflow eval seg`; returns the exit code (2 for bad usage; other errors are thrown for the CLI to print). */
export async function runEvalSeg(argv: readonly string[]): Promise<number> {
  let args: EvalSegArgs;
  try {
    args = parseEvalSegArgs(argv);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(`fuseflow eval seg: ${err.message}`);
    return 2;
  }
  if (args.help) {
    console.log(EVAL_SEG_USAGE);
    return 0;
  }
  if (args.report !== undefined) checkEvalOutput(args.report, { inputs: [args.predDir, args.truthDir], overwrite: args.overwrite });
  let result: LabelFilesResult;
  try {
    result = await evaluateLabelFiles({
      predDir: args.predDir,
      truthDir: args.truthDir,
      ...(args.pairPattern === undefined ? {} : { pairPattern: args.pairPattern }),
      ...(args.labels === undefined ? {} : { labels: args.labels }),
      ...(args.ci === undefined ? {} : { ci: { replicates: args.ci, seed: args.seed, ciMethod: args.ciMethod, resample: args.ciResample } }),
      ...(args.progress ? { onCase: (done: number, total: number, id: string) => process.stderr.write(`fuseflow eval seg: ${done}/${total} cases (${id})\n`) } : {}),
    });
  } finally {
    await closeIoPool();
  }
  const missing = Object.entries(result.missing).map(([l, n]) => `label ${l}: ${n} case${n === 1 ? '' : 's'} where the prediction lacks it (Dice 0, no distance)`);
  const about = [
    `predictions: ${args.predDir}; ground truth: ${args.truthDir}; ${Object.keys(result.cases).length} cases paired by ${args.pairPattern === undefined ? 'file name without extension' : `pattern ${args.pairPattern}`}`,
    args.ci === undefined ? 'no confidence intervals' : `${args.ci} bootstrap replicates over cases (${args.ciResample}), ${args.ciMethod} intervals, seed ${args.seed}`,
    ...missing,
  ];
  if (args.report !== undefined) {
    await writeReport(args.report, { title: 'fuseflow segmentation report', about, metrics: { ...result.metrics, cases: perCase(result) } }, { overwrite: args.overwrite });
  }
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const rows = [...resultRows(result.metrics), ...resultRows({ cases: perCase(result) })];
    const width = Math.max(6, ...rows.map((r) => r.name.length));
    process.stdout.write(`${['metric'.padEnd(width) + '  value', ...rows.map((r) => `${r.name.padEnd(width)}  ${r.value}`)].join('\n')}\n\n${about.join('\n')}\n`);
  }
  return 0;
}

/** The per-case scores without the file paths (for tables). */
function perCase(result: LabelFilesResult): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result.cases).map(([id, c]) => [id, { dice: c.dice, iou: c.iou, hd95: c.hd95, assd: c.assd }]));
}

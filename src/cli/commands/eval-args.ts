/**
 * Parses the arguments of `fuseflow eval` into a checked options object.
 */
import { OptionsError } from '../../core/errors.js';
import type { BootstrapMethod } from '../../eval/ci/bootstrap-ci.js';
import { CI_METHODS, type CiMethod } from '../../eval/ci/ci-summary.js';
import { DEFAULT_SEED } from '../../eval/ci/default-seed.js';
import { ENSEMBLE_METHODS, type EnsembleMethod } from '../../eval/ensemble/ensemble-scores.js';
import { SCORE_KINDS, type ScoreKind } from '../../eval/sources/score-source.js';
import { MAX_THREADS } from '../../eval/evaluate.js';
import { readEvalFlags } from './eval-flags.js';
import { parseShard, type ShardIndex } from '../../eval/shard/shard-share.js';

/** Parsed `fuseflow eval` options. */
export interface EvalArgs {
  readonly inputs: readonly string[];
  readonly preds: readonly string[];
  readonly target: string;
  readonly positive: string | undefined;
  readonly id: string | undefined;
  readonly classes: readonly string[] | undefined;
  readonly metrics: readonly string[] | undefined;
  readonly threshold: number | undefined;
  readonly ci: number | undefined;
  /** How the interval is read off the replicates (`--ci-method`); default percentile. */
  readonly ciMethod: CiMethod;
  /** How replicates are drawn (`--ci-resample`); default: the library's per metric. */
  readonly ciResample: BootstrapMethod | undefined;
  readonly seed: number;
  /** Combine several models' --input files (`--ensemble`). */
  readonly ensemble: EnsembleMethod | undefined;
  /** One weight per model (`--ensemble-weights`); default equal. */
  readonly ensembleWeights: readonly number[] | undefined;
  readonly groupBy: string | undefined;
  readonly fold: string | undefined;
  readonly onMissing: 'error' | 'skip';
  readonly nonFinite: 'error' | 'skip' | undefined;
  readonly batchSize: number;
  /** Worker threads (`--threads`); undefined: the library's default, the machine's cores. */
  readonly threads: number | undefined;
  readonly json: boolean;
  readonly report: string | undefined;
  readonly overwrite: boolean;
  readonly scores: ScoreKind;
  readonly progress: boolean;
  /** `--shard i/N`: evaluate only shard i's part of the input files (map/merge). */
  readonly shard: ShardIndex | undefined;
  /** `--state-out FILE`: write the shard's metric states there instead of printing results. */
  readonly stateOut: string | undefined;
  /** `--with-report`: the shard also folds the HTML report's metrics (so `eval merge --report` can draw it). */
  readonly withReport: boolean;
  /** `--pass PLAN`: the shard runs the refinement round PLAN plans (written by `eval merge --next-pass-out`) over its share. */
  readonly pass: string | undefined;
  readonly help: boolean;
}

export const EVAL_USAGE = `usage: fuseflow eval --input FILE [--input FILE ...] --pred COL[,COL...] --target COL [options]

Evaluates predictions streamed from CSV (.csv, .tsv) or Arrow IPC (.arrow, .arrows, .feather)
files. Several --input files are joined row by row on the --id column (each id exactly once).
Segmentation label files on disk (NIfTI, MHA, NRRD): fuseflow eval seg --pred-dir DIR
--truth-dir DIR (Dice, IoU, HD95, ASSD per label; see fuseflow eval seg --help).

  --input FILE          input file, a folder (its .csv/.tsv/.arrow/… files) or a quoted glob
                        ('preds/*.arrow'; * ? [..] and ** understood): all its files, in sorted
                        path order, are one set of rows with the same columns; repeat --input to
                        join several sets by --id
  --pred COL[,COL...]   score column of the positive class; several columns are class
                        probabilities (multi-class, one-vs-rest; --target then holds class names)
  --target COL          target column
  --positive LABEL      binary: the target value of the positive class (default 1)
  --classes A,B,...     multi-class: class names in --pred order (default: the --pred column
                        names without the prefix and suffix they share, e.g. B-score → B)
  --id COL              sample-id column (needed with several inputs; catches duplicate ids)
  --metrics LIST        comma-separated (default auc,aucpr,accuracy,balanced-accuracy,confusion,
                        brier,mcc,logloss); see --help for the list of names
  --scores KIND         what the --pred columns hold: probabilities (default; a score outside
                        [0, 1] is an error naming file, line, column and value), logits (the
                        sigmoid, or the softmax across several --pred columns, is applied first)
                        or raw (any numbers: only the rank metrics auc, aucpr, roc are allowed,
                        and are the default)
  --threshold T         binary decision threshold, strictly above is positive (default 0.5)
  --ci N                bootstrap confidence intervals with N replicates (2 to 100,000)
  --ci-method M         how the interval is read off the replicates, as FuseMedML's CI(ci_method)
                        names it: percentile (default; the 2.5th and 97.5th percentiles for 95%),
                        normal (value ∓ 1.96·std of the replicates) or pivotal (2·value − the
                        upper and lower percentiles)
  --ci-resample R       how replicates are drawn: state (resample the metric's merged counts;
                        default where the metric supports it), rows (Poisson weights per row,
                        keyed by --id when given) or fusemedml (FuseMedML's stratified resampling
                        by target, numpy's RNG: equals FuseMedML's CI for the same seed and row
                        order)
  --ensemble M          several models' prediction files joined by --id, combined into one model
                        and evaluated like one: mean (weighted mean of the --pred probabilities)
                        or vote (each model votes for a class: binary, its score strictly above
                        --threshold; multi-class, its argmax; the ensemble's score of a class is
                        its weighted share of the votes, so the weighted majority wins, a tie
                        going to the lower class index: the negative class when binary). The
                        models are the --input files holding every --pred column; another
                        --input (e.g. targets) only adds columns. A column several files hold
                        (e.g. the target) must agree for each id
  --ensemble-weights W1,W2,...
                        one positive weight per model, in --input order (default equal)
  --seed S              seed of the bootstrap, an integer 0 to 4294967295 (default ${DEFAULT_SEED}, the library's and FuseMedML's)
  --group-by COL        also report each metric per value of COL (as <metric>_per_<COL>), with
                        mean, std and median over groups; a group where the metric is undefined
                        (e.g. AUC with one class) is listed under failed_groups
  --fold COL            the same per fold (values of COL), as <metric>_per_fold
  --on-missing POLICY   error (default) or skip: an id missing from an input (skipped rows and
                        missing ids are counted and reported)
  --non-finite POLICY   error (default) or skip: a NaN or infinite score (skipped rows are
                        counted and reported)
  --batch-size N        rows per batch, 1 to 16777216 (default 65536)
  --threads N           worker threads that fold the batches, 1 to 256 (default: the machine's
                        cores); the results are the same bits for any N. Bootstrap CIs that
                        resample rows (--ci without --id, unless --ci-resample state) run in
                        one thread
  --json                print exactly one JSON object {"metrics": {...}} on stdout
  --report FILE.html    write a self-contained HTML report with plots; checked before anything
                        is computed: an existing FILE is refused unless --overwrite, an input
                        file or a symbolic link always, a missing folder is an error
  --overwrite           let --report replace an existing report file
  --no-progress         no progress lines on stderr

Map/merge over many machines (Slurm array, Kubernetes Indexed Job, a queue of workers):
  --state-out FILE      evaluate one shard and write its metric states to FILE (versioned,
                        checksummed) instead of printing results; rerunning the same shard
                        replaces its own state file. Then: fuseflow eval merge FILE... [--json]
                        [--report FILE] prints exactly what one run over all inputs prints.
                        With --id, FILE.ids (the sorted digests of the shard's ids) is written
                        beside it: merge refuses an id that two shards read, as one run does.
                        Over float32 scores, FILE.keys (the keys AUC/AP kept, 2 bytes a row):
                        merge refines AUC/AP exactly from them, reading no input again
  --with-report         the shards also fold the HTML report's metrics (ROC, reliability,
                        confusion matrix; more work per shard), so eval merge --report can draw it
  --shard i/N           the shard: i of N, from 0 (default: the launcher's rank, read from
                        SLURM_ARRAY_TASK_ID/COUNT, SLURM_PROCID/NTASKS, JOB_COMPLETION_INDEX +
                        FUSEFLOW_WORLD_SIZE, or RANK/WORLD_SIZE). Shard i reads files
                        floor(i*F/N) to floor((i+1)*F/N)-1 of the sorted list (with fewer files
                        than shards: the same split over the Arrow record batches)
  --pass PLAN           with --state-out: run the refinement round PLAN plans (written by
                        fuseflow eval merge --next-pass-out PLAN when a metric needs another pass
                        over the inputs: exact AUC/AP) over this shard's share, with the same
                        arguments and --shard as the map step, and write its pass states to FILE;
                        then fuseflow eval merge of every shard's pass files (reads PLAN). A plan
                        marked complete makes a small FILE without reading any input
  With --ci, merged shards give the same bounds as one run: --ci-resample state draws replicates
  from the merged counts, and rows draws each row's Poisson weights from (--seed, its --id), in
  one run and in shards alike (so row-resampled CIs need --id with --state-out; fusemedml,
  which draws by position in one stream, is refused)`;

const VALUE_FLAGS = new Set([
  '--input',
  '--pred',
  '--target',
  '--positive',
  '--id',
  '--classes',
  '--metrics',
  '--threshold',
  '--ci',
  '--ci-method',
  '--ci-resample',
  '--seed',
  '--group-by',
  '--fold',
  '--on-missing',
  '--non-finite',
  '--batch-size',
  '--threads',
  '--report',
  '--scores',
  '--ensemble',
  '--ensemble-weights',
  '--shard',
  '--state-out',
  '--pass',
]);

const SWITCHES = new Set(['--json', '--no-progress', '--overwrite', '--help', '--with-report']);

function list(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^\d+$/;

function numberArg(flag: string, text: string | undefined, check: (x: number) => boolean, what: string): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (!DECIMAL.test(text.trim()) || !check(x)) throw new OptionsError(`${flag} must be ${what}, got '${text}'`);
  return x;
}

/** A whole number written in digits, within `[min, max]`. */
function integerArg(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text.trim());
  if (!INTEGER.test(text.trim()) || x < min || x > max) {
    throw new OptionsError(`${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got '${text}'`);
  }
  return x;
}

/** The values of `--ci-resample` (the library's `BootstrapMethod`). */
const RESAMPLE_METHODS: readonly BootstrapMethod[] = ['state', 'rows', 'fusemedml'];

/** Most bootstrap replicates `--ci` accepts (each is one resample of every metric's state). */
export const MAX_CI_REPLICATES = 100_000;

/**
 * Parses `fuseflow eval` arguments (`--flag value` or `--flag=value`).
 *
 * @throws OptionsError for an unknown flag, a missing value, or a missing or invalid option.
 */
export function parseEvalArgs(args: readonly string[]): EvalArgs {
  const { values, switches: flags } = readEvalFlags(args, {
    valued: VALUE_FLAGS,
    switches: SWITCHES,
    repeated: 'collect',
    usage: EVAL_USAGE,
  });
  const one = (flag: string): string | undefined => {
    const v = values.get(flag);
    if (v !== undefined && v.length > 1) throw new OptionsError(`${flag} given ${v.length} times`);
    return v?.[0];
  };
  const help = flags.has('--help');
  const inputs = values.get('--input') ?? [];
  const preds = list(values.get('--pred') ?? []);
  const target = one('--target');
  if (!help) {
    if (inputs.length === 0) throw new OptionsError(`--input is required\n\n${EVAL_USAGE}`);
    if (preds.length === 0) throw new OptionsError('--pred is required');
    if (target === undefined || target === '') throw new OptionsError('--target is required');
    if (inputs.length > 1 && one('--id') === undefined) throw new OptionsError('several --input files are joined by sample id: give the id column with --id');
    if (new Set(preds).size !== preds.length) throw new OptionsError(`--pred lists a column twice: ${preds.join(',')}`);
  }
  const onMissing = one('--on-missing') ?? 'error';
  if (onMissing !== 'error' && onMissing !== 'skip') throw new OptionsError(`--on-missing must be 'error' or 'skip', got '${onMissing}'`);
  const nonFinite = one('--non-finite');
  if (nonFinite !== undefined && nonFinite !== 'error' && nonFinite !== 'skip') throw new OptionsError(`--non-finite must be 'error' or 'skip', got '${nonFinite}'`);
  const classesText = one('--classes');
  const classes = classesText === undefined ? undefined : list([classesText]);
  if (classes !== undefined && classes.length !== preds.length) throw new OptionsError(`--classes names ${classes.length} classes but --pred has ${preds.length} columns`);
  const metricsText = one('--metrics');
  const ciMethod = one('--ci-method');
  if (ciMethod !== undefined && (RESAMPLE_METHODS as readonly string[]).includes(ciMethod)) {
    throw new OptionsError(`--ci-method now names the interval (${CI_METHODS.join(', ')}); how replicates are drawn moved to --ci-resample: use --ci-resample ${ciMethod}`);
  }
  if (ciMethod !== undefined && !(CI_METHODS as readonly string[]).includes(ciMethod)) throw new OptionsError(`--ci-method must be ${CI_METHODS.join(', ')}, got '${ciMethod}'`);
  const ciResample = one('--ci-resample');
  if (ciResample !== undefined && !(RESAMPLE_METHODS as readonly string[]).includes(ciResample))
    throw new OptionsError(`--ci-resample must be ${RESAMPLE_METHODS.join(', ')}, got '${ciResample}'`);
  for (const flag of ['--ci-method', '--ci-resample']) if (one(flag) !== undefined && one('--ci') === undefined) throw new OptionsError(`${flag} needs --ci N`);
  const scores = (one('--scores') ?? 'probabilities') as ScoreKind;
  if (!SCORE_KINDS.includes(scores)) throw new OptionsError(`--scores must be ${SCORE_KINDS.join(', ')}, got '${scores}'`);
  const ensemble = one('--ensemble');
  if (ensemble !== undefined && !(ENSEMBLE_METHODS as readonly string[]).includes(ensemble))
    throw new OptionsError(`--ensemble must be ${ENSEMBLE_METHODS.join(' or ')}, got '${ensemble}'`);
  if (ensemble !== undefined && !help && inputs.length < 2) throw new OptionsError('--ensemble combines several models: give a prediction file per model with --input (and --id)');
  const weightsText = one('--ensemble-weights');
  if (weightsText !== undefined && ensemble === undefined) throw new OptionsError('--ensemble-weights applies to --ensemble mean|vote');
  const ensembleWeights =
    weightsText === undefined
      ? undefined
      : weightsText.split(',').map((w) => numberArg('--ensemble-weights', w.trim(), (x) => Number.isFinite(x) && x > 0, 'positive numbers separated by commas') as number);
  const stateOut = one('--state-out');
  const shardText = one('--shard');
  if (flags.has('--overwrite') && one('--report') === undefined && stateOut === undefined)
    throw new OptionsError('--overwrite applies to --report FILE or --state-out FILE; give the output file');
  if (flags.has('--with-report') && scores === 'raw')
    throw new OptionsError("--with-report: the report's reliability and confusion plots need probabilities (give logits as --scores logits)");
  if (flags.has('--with-report') && stateOut === undefined)
    throw new OptionsError("--with-report applies to --state-out (a shard folding the report's metrics); one run draws its report with --report FILE");
  const pass = one('--pass');
  if (pass !== undefined && stateOut === undefined)
    throw new OptionsError('--pass PLAN needs --state-out FILE (the shard writes its pass states; fuseflow eval merge finishes the round)');
  if (shardText !== undefined && stateOut === undefined)
    throw new OptionsError('--shard i/N needs --state-out FILE (the shard writes its metric states; fuseflow eval merge prints the results)');
  if (stateOut !== undefined) {
    if (one('--report') !== undefined || flags.has('--json'))
      throw new OptionsError('--state-out writes metric states, not results: give --json / --report to fuseflow eval merge');
    if (inputs.length > 1)
      throw new OptionsError(
        '--state-out splits one --input set of files between shards; with several --input joined by --id every shard would need every file (join them into one set first)',
      );
    if (ensemble !== undefined) throw new OptionsError('--state-out: --ensemble joins several --input sets; evaluate the ensemble in one run');
    if (ciResample === 'fusemedml')
      throw new OptionsError(
        '--state-out: --ci-resample fusemedml draws rows by position in one stream; shards need replicates that do not depend on which shard read a row: use --ci-resample rows with --id (weights keyed by row id) or state',
      );
  }
  return {
    inputs,
    preds,
    target: target ?? '',
    positive: one('--positive'),
    id: one('--id'),
    classes,
    metrics: metricsText === undefined ? undefined : list([metricsText]),
    threshold: numberArg('--threshold', one('--threshold'), Number.isFinite, 'a finite number'),
    ci: integerArg('--ci', one('--ci'), 2, MAX_CI_REPLICATES),
    ciMethod: (ciMethod ?? 'percentile') as CiMethod,
    ciResample: ciResample as BootstrapMethod | undefined,
    seed: integerArg('--seed', one('--seed'), 0, 0xffffffff) ?? DEFAULT_SEED,
    ensemble: ensemble as EnsembleMethod | undefined,
    ensembleWeights,
    groupBy: one('--group-by'),
    fold: one('--fold'),
    onMissing,
    nonFinite,
    batchSize: integerArg('--batch-size', one('--batch-size'), 1, 1 << 24) ?? 65_536,
    threads: integerArg('--threads', one('--threads'), 1, MAX_THREADS),
    json: flags.has('--json'),
    report: one('--report'),
    overwrite: flags.has('--overwrite'),
    scores,
    progress: !flags.has('--no-progress'),
    shard: shardText === undefined ? undefined : parseShard(shardText),
    stateOut,
    withReport: flags.has('--with-report'),
    pass,
    help,
  };
}

/**
 * Class names from probability column names: the names without the prefix and suffix all of
 * them share (`B-score`, `LR-score` → `B`, `LR`); the names themselves when that leaves an empty
 * or repeated name.
 */
export function classNamesFromColumns(columns: readonly string[]): string[] {
  if (columns.length < 2) return [...columns];
  let prefix = columns[0] as string;
  let suffix = columns[0] as string;
  for (const c of columns) {
    while (!c.startsWith(prefix)) prefix = prefix.slice(0, -1);
    while (!c.endsWith(suffix)) suffix = suffix.slice(1);
  }
  const names = columns.map((c) => c.slice(prefix.length, c.length - suffix.length));
  if (names.some((n) => n === '') || new Set(names).size !== names.length) return [...columns];
  return names;
}

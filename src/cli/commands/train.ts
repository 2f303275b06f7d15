/**
 * `fuseflow train TABLE --target COL --out DIR`: trains an MLP classifier on a table (CSV, TSV or
 * Arrow IPC) with the fuseflow trainer. Every numeric column except the target and the id is a
 * feature, z-scored with the training rows' statistics. A seeded, label-balanced fold of the
 * rows is held out for validation; the best epoch by validation AUC (binary) or accuracy
 * (multi-class) is kept. Writes `run.json` (the run's configuration), `best.ckpt`, `last.ckpt`,
 * `log.jsonl` and the validation predictions as `predictions.arrow` (id, target, pred_0 …
 * pred_{K−1}), ready for `fuseflow eval`.
 *
 * Safety: the table is read strictly (a non-numeric, missing, NaN or Inf feature cell is an error
 * naming file, line, column and value). A folder that already holds a run (any of the files
 * above) is refused unless `--resume` (continue it) or `--overwrite` (remove exactly those files,
 * nothing else, then start fresh) is given. `--resume` continues a killed or interrupted (Ctrl-C:
 * last.ckpt is written first) run exactly; it needs `last.ckpt` and the same configuration as the
 * run recorded (data file, size and SHA-256, columns, split, seed, model, batch size, lr, epochs)
 * and names the first field that differs. Outputs are written atomically, never through links.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { parseOrExit } from './parse-or-exit.js';
import { splitFlags } from './split-flags.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { createSample, setKeys, type Sample } from '../../core/sample.js';
import { tensor } from '../../core/tensor.js';
import { accuracy } from '../../eval/metrics/accuracy.js';
import { auc } from '../../eval/metrics/auc.js';
import { batch } from '../../streams/batch.js';
import { dataset } from '../../streams/dataset.js';
import { splitFolds } from '../../streams/split-folds.js';
import { useBackend, type BackendName } from '../../trainer/backend.js';
import { loadModel } from '../../trainer/checkpoint.js';
import { readFeatureTable } from '../../trainer/feature-table.js';
import { fit } from '../../trainer/fit.js';
import { classificationHead } from '../../trainer/heads/classification-head.js';
import { inferToArrow } from '../../trainer/infer.js';
import { crossEntropy } from '../../trainer/losses/cross-entropy.js';
import { mlp } from '../../trainer/models/mlp.js';
import { multiHeadModel } from '../../trainer/models/multi-head-model.js';
import { checkRunConfig, type RunConfig } from '../../trainer/run-config.js';
import { checkRunFolder, type RunFolderWords } from '../../trainer/run-folder.js';

/** The run-folder messages in the command's words (the check itself is `trainer/run-folder`'s, shared with fit). */
const WORDS: RunFolderWords = { resume: '--resume', resumeOn: '--resume', overwriteOn: '--overwrite', elsewhere: 'choose another --out' };

const USAGE = `usage: fuseflow train TABLE --target COL --out DIR [options]

Trains an MLP classifier on a CSV/TSV/Arrow table: numeric columns except the target and id are
features (z-scored with training statistics); a seeded label-balanced fold is held out for
validation. Writes run.json, best.ckpt, last.ckpt, log.jsonl and predictions.arrow (validation
rows) to DIR. Every feature cell must be a finite number (missing values are refused).
A DIR that already holds a run is refused unless --resume or --overwrite is given.

  --target COL        target column (class labels; any values, mapped to indices in sorted order)
  --out DIR           output folder (created)
  --id COL            sample-id column (default: the row number)
  --features A,B,...  feature columns (default: every column but target and id)
  --no-header         the file has no header row (columns are named col_0, col_1, ...)
  --skip-lines N      lines to skip before the header or data (default 0)
  --layers 32,16      hidden layer sizes (default 32,16)
  --epochs N          epochs (default 20)
  --batch-size N      batch size (default 32)
  --lr X              peak learning rate of the cosine schedule (default 0.003)
  --valid-folds K     hold out 1 of K folds for validation (default 5)
  --seed N            run seed: split, order, initial weights (default 0)
  --backend NAME      tensorflow | webgpu | wasm | cpu (default: automatic; webgpu only by name)
  --resume            continue the run in DIR from DIR/last.ckpt; the configuration must be the
                      run's (data file and content, columns, split, seed, model, batch size, lr,
                      epochs): the first field that differs is named
  --overwrite         replace the run in DIR: removes only run.json, best.ckpt, last.ckpt,
                      log.jsonl and predictions.arrow, then starts a new run
  --progress          show a progress bar on stderr`;

interface Args {
  readonly table: string;
  readonly flags: Map<string, string>;
  readonly switches: Set<string>;
}

const VALUED = new Set(['target', 'out', 'id', 'features', 'skip-lines', 'layers', 'epochs', 'batch-size', 'lr', 'valid-folds', 'seed', 'backend']);
const SWITCHES = new Set(['no-header', 'resume', 'overwrite', 'progress']);

function parse(args: readonly string[]): Args {
  const { positional, flags, switches } = splitFlags(args, { valued: VALUED, switches: SWITCHES });
  if (positional.length !== 1) throw new OptionsError(`expected one TABLE path, got ${positional.length}`);
  for (const required of ['target', 'out']) if (!flags.has(required)) throw new OptionsError(`--${required} is required`);
  return { table: positional[0] as string, flags, switches };
}

function int(flags: Map<string, string>, name: string, fallback: number, min = 1): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new OptionsError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return v;
}

/** Runs the command; returns the exit code (0 ok, 2 usage). Bad input throws (exit 1 with the message). */
export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseOrExit(args, { command: 'train', usage: USAGE, parse });
  if ('exit' in parsed) return parsed.exit;
  const a = parsed.args;
  const { flags, switches } = a;
  const target = flags.get('target') as string;
  const out = flags.get('out') as string;
  const idColumn = flags.get('id') ?? null;
  const skipLines = int(flags, 'skip-lines', 0, 0);
  const epochs = int(flags, 'epochs', 20);
  const size = int(flags, 'batch-size', 32);
  const k = int(flags, 'valid-folds', 5, 2);
  const seed = int(flags, 'seed', 0, 0);
  const lr = Number(flags.get('lr') ?? '0.003');
  if (!(lr > 0)) throw new OptionsError(`--lr must be > 0, got '${flags.get('lr')}'`);
  const layers = (flags.get('layers') ?? '32,16').split(',').map(Number);
  const backend = flags.get('backend');
  if (backend !== undefined && !['tensorflow', 'webgpu', 'wasm', 'cpu'].includes(backend)) throw new OptionsError(`--backend must be tensorflow, webgpu, wasm or cpu`);

  const resume = switches.has('resume');
  const overwrite = switches.has('overwrite');
  // Before reading the data: a folder holding a run needs --resume or --overwrite (changes nothing;
  // fit claims the folder — removing the old run's files for --overwrite — when training starts).
  const present = checkRunFolder(out, { resume, overwrite, words: WORDS });

  let columnNames: string[] | undefined;
  if (switches.has('no-header')) {
    const line = dataText(a.table).split('\n', skipLines + 1)[skipLines] ?? '';
    columnNames = line.split(a.table.endsWith('.tsv') ? '\t' : ',').map((_, i) => `col_${i}`);
  }
  const table = readFeatureTable(a.table, {
    target,
    idColumn,
    skipLines,
    ...(columnNames === undefined ? {} : { columnNames }),
    ...(flags.has('features') ? { features: (flags.get('features') as string).split(',') } : {}),
  });
  const { features } = table;
  const rawLabels = table.labels;
  const classes = [...new Set(rawLabels)].sort((x, y) => (Number.isFinite(Number(x)) && Number.isFinite(Number(y)) ? Number(x) - Number(y) : x < y ? -1 : 1));
  if (classes.length < 2) throw new OptionsError(`target '${target}' has ${classes.length} distinct value(s); a classifier needs at least 2`);
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  const rowOf = new Map(table.ids.map((id, i) => [id, i]));

  const config: RunConfig = {
    data: dataFingerprint(a.table),
    target,
    id: idColumn,
    'no-header': switches.has('no-header'),
    'skip-lines': skipLines,
    features,
    classes,
    'valid-folds': k,
    seed,
    layers,
    'batch-size': size,
    lr,
    epochs,
  };
  if (resume && present.includes('run.json')) checkRecordedConfig(out, config);

  const folds = splitFolds({ ids: table.ids, labels: rawLabels, folds: k, seed });
  const validIds = folds[0] as string[];
  const validSet = new Set(validIds);
  const trainIds = table.ids.filter((id) => !validSet.has(id));
  const xOf = (id: string): Float64Array => table.x[rowOf.get(id) as number] as Float64Array;
  const stats = features.map((_, j) => {
    const xs = trainIds.map((id) => xOf(id)[j] as number);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) || 1;
    return { mean, sd };
  });
  const source = (id: string): Sample => {
    const row = xOf(id);
    const x = Float32Array.from(features, (_, j) => ((row[j] as number) - (stats[j] as { mean: number }).mean) / (stats[j] as { sd: number }).sd);
    return setKeys(createSample(id), { 'data.features': tensor('float32', [features.length], x), 'data.label': labelOf.get(rawLabels[rowOf.get(id) as number] as string) });
  };

  await useBackend(backend as BackendName | undefined);
  console.log(
    `${a.table}: ${table.ids.length} rows, ${features.length} features, ${classes.length} classes (${classes.map((c, i) => `${i}=${c}`).join(', ')}); ${trainIds.length} train / ${validIds.length} validation`,
  );
  const train = dataset({ ids: trainIds, source });
  const valid = dataset({ ids: validIds, source });
  const validBatches = (): AsyncIterable<Sample> => batch({ size: 256 })(valid.stream({ shuffle: false, window: 512 }));
  const model = multiHeadModel({
    inputs: [{ key: 'data.features', shape: [features.length] }],
    backbone: mlp({ layers }),
    heads: [classificationHead({ name: 'cls', numClasses: classes.length })],
    seed,
  });
  const binary = classes.length === 2;
  const indices = classes.map((_, i) => i);
  const metric = binary
    ? auc({ pred: 'model.output.cls_1', target: 'data.label' })
    : accuracy({ preds: indices.map((i) => `model.output.cls_${i}`), target: 'data.label', classNames: indices });
  const steps = Math.ceil(trainIds.length / size);
  // Ctrl-C: finish the step, write last.ckpt at the exact position, exit 130 (`--resume` continues).
  const controller = new AbortController();
  const onSigint = (): void => {
    console.error('fuseflow train: interrupted; writing last.ckpt …');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const result = await fit({
    signal: controller.signal,
    model,
    losses: [crossEntropy({ pred: 'model.logits.cls', target: 'data.label' })],
    train: (at) => batch({ size })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
    validation: validBatches,
    metrics: [metric],
    metricKeys: ['model.output.cls', 'data.label'],
    monitor: { key: `validation.metrics.${metric.name}`, mode: 'max' },
    epochs,
    seed,
    dir: out,
    schedule: { type: 'cosine', lr, totalSteps: epochs * steps, warmupSteps: Math.min(steps, epochs * steps - 1) },
    resume,
    overwrite,
    // a new run's record, written once fit has checked, cleared (--overwrite) and created the folder
    onNewRunFolder: (dir) => writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify({ format: 1, command: 'fuseflow train', config }, null, 2)}\n`),
    config,
    progress: switches.has('progress'),
    backend: 'current',
    onEpoch: (e) =>
      console.log(
        `epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation loss ${e.validation?.losses['total']?.toFixed(4)}, ${metric.name} ${e.monitor.toFixed(4)}${e.best ? ' (best)' : ''}`,
      ),
  });
  process.removeListener('SIGINT', onSigint);
  if (result.interrupted) {
    console.log(`interrupted at step ${result.steps}; continue with the same command and --resume`);
    return 130;
  }
  if (result.resumedFrom !== null) console.log(`resumed from epoch ${result.resumedFrom.epoch + 1}, step ${result.resumedFrom.step}`);
  const best = await loadModel(join(out, 'best.ckpt'));
  const written = await inferToArrow({ model: best, batches: validBatches(), path: join(out, 'predictions.arrow'), columns: { target: 'data.label', pred: 'model.output.cls' } });
  console.log(`best epoch ${(result.bestEpoch ?? 0) + 1}: validation ${metric.name} ${result.bestValue?.toFixed(4)}; ${written.rows} predictions → ${written.path}`);
  return 0;
}

/** The table's bytes. @throws {InputError} naming the file when it cannot be read. */
function dataBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read table: ${(err as Error).message}`, { file });
  }
}

function dataText(file: string): string {
  return dataBytes(file).toString('utf8');
}

/** The input table's identity: absolute path, size and SHA-256 of its bytes. */
function dataFingerprint(file: string): { file: string; size: number; sha256: string } {
  const bytes = dataBytes(file);
  return { file: resolve(file), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * `--resume`: the configuration recorded in the run's run.json must be this one (fit checks the
 * checkpoint's copy too).
 * @throws {InputError} for an unreadable run.json; {@link OptionsError} naming the first field that differs.
 */
function checkRecordedConfig(out: string, config: RunConfig): void {
  const runJson = join(out, 'run.json');
  let recorded: unknown;
  try {
    recorded = (JSON.parse(readFileSync(runJson, 'utf8')) as { config?: unknown }).config;
  } catch (err) {
    throw new InputError(`unreadable run record: ${(err as Error).message}`, { file: runJson });
  }
  checkRunConfig(recorded, config, {
    what: '--resume',
    file: runJson,
    hint: 'resume with the same options, or start a new run with another --out (or --overwrite to replace this one)',
  });
}

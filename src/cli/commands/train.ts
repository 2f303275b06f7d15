/**
 * `fuseflow train TABLE --target COL --out DIR`: trains an MLP classifier on a table (CSV, TSV or
 * Arrow IPC) with the fuseflow trainer. Every numeric column except the target and the id is a
 * feature, z-scored with the training rows' statistics. A seeded, label-balanced fold of the
 * rows is held out for validation; the best epoch by validation AUC (binary) or accuracy
 * (multi-class) is kept. Writes `best.ckpt`, `last.ckpt`, `log.jsonl` and the validation
 * predictions as `predictions.arrow` (id, target, pred_0 … pred_{K−1}), ready for `fuseflow eval`.
 * `--resume` continues a killed or interrupted (Ctrl-C: last.ckpt is written first) run exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionsError } from '../../core/errors.js';
import { createSample, setKeys, type Sample } from '../../core/sample.js';
import { tensor } from '../../core/tensor.js';
import { accuracy } from '../../eval/metrics/accuracy.js';
import { auc } from '../../eval/metrics/auc.js';
import { loadTable } from '../../ops/tabular/table.js';
import { batch } from '../../streams/batch.js';
import { dataset } from '../../streams/dataset.js';
import { splitFolds } from '../../streams/split-folds.js';
import { useBackend, type BackendName } from '../../trainer/backend.js';
import { loadModel } from '../../trainer/checkpoint.js';
import { fit } from '../../trainer/fit.js';
import { classificationHead } from '../../trainer/heads/classification-head.js';
import { inferToArrow } from '../../trainer/infer.js';
import { crossEntropy } from '../../trainer/losses/cross-entropy.js';
import { mlp } from '../../trainer/models/mlp.js';
import { multiHeadModel } from '../../trainer/models/multi-head-model.js';

const USAGE = `usage: fuseflow train TABLE --target COL --out DIR [options]

Trains an MLP classifier on a CSV/TSV/Arrow table: numeric columns except the target and id are
features (z-scored with training statistics); a seeded label-balanced fold is held out for
validation. Writes best.ckpt, last.ckpt, log.jsonl and predictions.arrow (validation rows) to DIR.

  --target COL        target column (class labels; any values, mapped to indices in sorted order)
  --out DIR           output folder (created)
  --id COL            sample-id column (default: the row number)
  --features A,B,...  feature columns (default: every numeric column but target and id)
  --no-header         the file has no header row (columns are named col_0, col_1, ...)
  --skip-lines N      lines to skip before the header or data (default 0)
  --layers 32,16      hidden layer sizes (default 32,16)
  --epochs N          epochs (default 20)
  --batch-size N      batch size (default 32)
  --lr X              peak learning rate of the cosine schedule (default 0.003)
  --valid-folds K     hold out 1 of K folds for validation (default 5)
  --seed N            run seed: split, order, initial weights (default 0)
  --backend NAME      tensorflow | wasm | cpu (default: automatic)
  --resume            continue from DIR/last.ckpt
  --progress          show a progress bar on stderr`;

interface Args {
  readonly table: string;
  readonly flags: Map<string, string>;
  readonly switches: Set<string>;
}

const VALUED = new Set(['target', 'out', 'id', 'features', 'skip-lines', 'layers', 'epochs', 'batch-size', 'lr', 'valid-folds', 'seed', 'backend']);
const SWITCHES = new Set(['no-header', 'resume', 'progress']);

function parse(args: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (SWITCHES.has(name)) switches.add(name);
    else if (VALUED.has(name)) {
      const v = args[++i];
      if (v === undefined) throw new OptionsError(`--${name} needs a value`);
      flags.set(name, v);
    } else throw new OptionsError(`unknown option --${name}`);
  }
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
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let a: Args;
  try {
    a = parse(args);
  } catch (err) {
    console.error(`fuseflow train: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
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
  if (backend !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(backend)) throw new OptionsError(`--backend must be tensorflow, wasm or cpu`);

  let columnNames: string[] | undefined;
  if (switches.has('no-header')) {
    const line = readFileSync(a.table, 'utf8').split('\n', skipLines + 1)[skipLines] ?? '';
    columnNames = line.split(a.table.endsWith('.tsv') ? '\t' : ',').map((_, i) => `col_${i}`);
  }
  const table = loadTable(a.table, { idColumn, skipLines, ...(columnNames === undefined ? {} : { columnNames }) });
  if (!table.columns.includes(target)) throw new OptionsError(`--target '${target}' is not a column of ${a.table}; columns: ${table.columns.join(', ')}`);
  const features =
    flags.get('features')?.split(',') ??
    table.columns.filter((c) => c !== target && c !== idColumn && table.ids.every((id) => typeof table.row(id)?.[c] === 'number'));
  if (features.length === 0) throw new OptionsError(`no numeric feature columns in ${a.table}`);
  for (const f of features) if (!table.columns.includes(f)) throw new OptionsError(`feature '${f}' is not a column of ${a.table}`);
  const rawLabels = table.ids.map((id) => String(table.row(id)?.[target]));
  const classes = [...new Set(rawLabels)].sort((x, y) => (Number.isFinite(Number(x)) && Number.isFinite(Number(y)) ? Number(x) - Number(y) : x < y ? -1 : 1));
  if (classes.length < 2) throw new OptionsError(`target '${target}' has ${classes.length} distinct value(s); a classifier needs at least 2`);
  const labelOf = new Map(classes.map((c, i) => [c, i]));

  const folds = splitFolds({ ids: table.ids, labels: rawLabels, folds: k, seed });
  const validIds = folds[0] as string[];
  const validSet = new Set(validIds);
  const trainIds = table.ids.filter((id) => !validSet.has(id));
  const stats = features.map((f) => {
    const xs = trainIds.map((id) => table.row(id)?.[f] as number);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) || 1;
    return { mean, sd };
  });
  const source = (id: string): Sample => {
    const row = table.row(id);
    const x = Float32Array.from(features, (f, j) => ((row?.[f] as number) - (stats[j] as { mean: number }).mean) / (stats[j] as { sd: number }).sd);
    return setKeys(createSample(id), { 'data.features': tensor('float32', [features.length], x), 'data.label': labelOf.get(String(row?.[target])) as number });
  };

  await useBackend(backend as BackendName | undefined);
  console.log(`${a.table}: ${table.ids.length} rows, ${features.length} features, ${classes.length} classes (${classes.map((c, i) => `${i}=${c}`).join(', ')}); ${trainIds.length} train / ${validIds.length} validation`);
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
    resume: switches.has('resume'),
    progress: switches.has('progress'),
    backend: 'current',
    onEpoch: (e) => console.log(`epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation loss ${e.validation?.losses['total']?.toFixed(4)}, ${metric.name} ${(e.monitor).toFixed(4)}${e.best ? ' (best)' : ''}`),
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

/**
 * Inference to an Arrow IPC file: runs the model over a stream of batches and writes one Arrow
 * record batch per input batch (ids, targets, scores, chosen outputs), so a prediction set of
 * any size streams to disk in bounded memory and is ready for `fuseflow eval`. Columns come
 * from typed arrays directly: a `[N]` (or `[N, 1]`) tensor becomes one column, a `[N, K]` tensor
 * becomes `<name>_0 … <name>_{K−1}`, string arrays (ids) become UTF-8 columns, number arrays
 * float64 columns. Written to a temporary file and renamed when complete.
 */
import { Float32, Float64, Int32, RecordBatch, Utf8, makeData, vectorFromArray, type Data } from 'apache-arrow';
import { OptionsError, TypeMismatchError } from '../core/errors.js';
import { getKey, SAMPLE_ID_KEY, type Sample } from '../core/sample.js';
import { isTensor } from '../core/tensor.js';
import { writeArrowAtomic } from './arrow-file-out.js';
import type { DictModel } from './models/dict-model.js';

/** Options of {@link inferToArrow}. */
export interface InferToArrowOptions {
  readonly model: DictModel;
  /** Collated batches to predict on. */
  readonly batches: AsyncIterable<Sample>;
  /** Output file. Required. */
  readonly path: string;
  /**
   * Column name → batch key (model outputs included), e.g. `{ target: 'data.label', pred:
   * 'model.output.cls' }`. An `id` column from `data.sampleId` is added unless named here.
   * Required, at least one.
   */
  readonly columns: Readonly<Record<string, string>>;
  /** `'file'` (Arrow IPC file, random access) or `'stream'` (IPC stream). Default `'file'`. */
  readonly format?: 'file' | 'stream';
  /** Called after each batch is written. */
  readonly onBatch?: (info: { readonly batches: number; readonly rows: number }) => void;
}

/** What {@link inferToArrow} wrote. */
export interface InferResult {
  readonly path: string;
  readonly rows: number;
  readonly batches: number;
  readonly columns: readonly string[];
}

/**
 * Streams predictions into an Arrow IPC file.
 * @example await inferToArrow({ model, batches, path: 'preds.arrow', columns: { target: 'data.label', pred: 'model.output.cls' } }); // columns id, target, pred_0, pred_1
 * @throws {OptionsError} for no columns; {@link TypeMismatchError} when a batch's columns differ from the first batch's (names or types), or a value has no column form.
 * @throws {OutputError} naming the file for a symbolic link at `path` or a failed write (missing folder, read-only, full).
 */
export async function inferToArrow(options: InferToArrowOptions): Promise<InferResult> {
  const entries = Object.entries(options.columns);
  if (entries.length === 0) throw new OptionsError('inferToArrow: name at least one column');
  const columns: [string, string][] = 'id' in options.columns ? entries : [['id', SAMPLE_ID_KEY], ...entries];
  let schema: string | null = null;
  let names: string[] = [];
  let rows = 0;
  let batches = 0;
  // overwrite: true — predictions replace their file; a symbolic link at the target is still
  // refused (a user who named a link expects the write to land behind it: neither is done silently).
  await writeArrowAtomic(options.path, { overwrite: true, format: options.format ?? 'file' }, async (write) => {
    for await (const batch of options.batches) {
      const withOutputs = await options.model.predict(batch, { phase: 'inference' });
      const data: Record<string, ColumnData> = {};
      for (const [name, key] of columns) addArrowColumns(data, withOutputs, key, name);
      const lengths = new Set(Object.values(data).map((d) => d.length));
      if (lengths.size !== 1) throw new TypeMismatchError(`inferToArrow: columns of batch ${batches} have different lengths (${[...lengths].join(', ')})`);
      const signature = Object.entries(data)
        .map(([k, d]) => `${k}:${d.type.toString()}`)
        .join(',');
      if (schema === null) {
        schema = signature;
        names = Object.keys(data);
      } else if (signature !== schema) {
        throw new TypeMismatchError(`inferToArrow: batch ${batches} has columns ${signature}, the first batch had ${schema}`);
      }
      await write(new RecordBatch(data));
      rows += [...lengths][0] as number;
      batches += 1;
      options.onBatch?.({ batches, rows });
    }
  });
  return { path: options.path, rows, batches, columns: names };
}

/** The columns inferToArrow writes: their types print as `Float32`, `Float64`, `Int32`, `Utf8`. */
type ColumnData = Data<Float32 | Float64 | Int32 | Utf8>;

function addArrowColumns(out: Record<string, ColumnData>, batch: Sample, key: string, name: string): void {
  const value = getKey(batch, key);
  if (isTensor(value)) {
    const [n = 1, k = 1, ...rest] = value.shape.length === 0 ? [1] : value.shape;
    if (rest.length > 0) throw new TypeMismatchError(`inferToArrow: key '${key}' is a [${value.shape.join(',')}] tensor; only [N] and [N, K] become columns`);
    const isInt = value.dtype !== 'float32' && value.dtype !== 'float64';
    const make = (values: ArrayLike<number>): ColumnData =>
      isInt
        ? makeData({ type: new Int32(), length: n, data: value.data instanceof Int32Array ? value.data : Int32Array.from(values) })
        : makeData({ type: new Float32(), length: n, data: values instanceof Float32Array ? values : Float32Array.from(values) });
    if (k === 1) {
      out[name] = make(value.data);
      return;
    }
    for (let j = 0; j < k; j++) {
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) col[i] = (value.data as ArrayLike<number>)[i * k + j] as number;
      out[`${name}_${j}`] = isInt
        ? makeData({ type: new Int32(), length: n, data: Int32Array.from(col) })
        : makeData({ type: new Float32(), length: n, data: Float32Array.from(col) });
    }
    return;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    out[name] = vectorFromArray(value, new Utf8()).data[0] as Data<Utf8>;
    return;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    out[name] = makeData({ type: new Float64(), length: value.length, data: Float64Array.from(value) });
    return;
  }
  throw new TypeMismatchError(`inferToArrow: key '${key}' holds ${Array.isArray(value) ? 'a mixed array' : typeof value}, which has no column form`);
}

/**
 * The Wisconsin Diagnostic Breast Cancer table shipped in `data/` (see data/README.md): column
 * names, the file's location, and a fuseflow dataset reading its rows by id.
 */
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../core/sample.js';
import { loadTable, type IndexedTable, type Row } from '../../ops/tabular/table.js';

const MEASUREMENTS = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concavePoints', 'symmetry', 'fractalDimension'] as const;

/** The 30 feature columns: each measurement as mean, standard error and worst. */
export const BREAST_CANCER_FEATURES: readonly string[] = ['mean', 'se', 'worst'].flatMap((kind) => MEASUREMENTS.map((m) => `${kind}.${m}`));

/** All columns of the CSV in file order; `target` is 0 = malignant, 1 = benign. */
export const BREAST_CANCER_COLUMNS: readonly string[] = [...BREAST_CANCER_FEATURES, 'target'];

/** Path of the CSV (resolved from this module, so it works from `src/` and from `dist/`). */
export const BREAST_CANCER_CSV: string = fileURLToPath(new URL('../../../data/breast_cancer.csv', import.meta.url));

/** Options to read the file with `readRows` / `loadTable`: no header, first line skipped, ids = row numbers. */
export const BREAST_CANCER_READ = { columnNames: BREAST_CANCER_COLUMNS, skipLines: 1, idColumn: null } as const;

/** The table, indexed by row number ('0'..'568'). */
export function loadBreastCancer(): IndexedTable {
  return loadTable(BREAST_CANCER_CSV, BREAST_CANCER_READ);
}

/** The table as ready-made samples: `data.features` (float32 [30], z-scored) and `data.label` (0 malignant, 1 benign). */
export interface BreastCancerSamples {
  readonly ids: readonly string[];
  readonly samples: ReadonlyMap<string, Sample>;
  /** Per-feature mean and standard deviation used for the z-score. */
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Reads the table into samples keyed by row number. Features are z-scored with the whole
 * table's statistics (a convenience for tests and the demo; cross-validation code that needs
 * fold-local statistics should use {@link loadBreastCancer} and the `zScore` op per fold).
 */
export function readBreastCancer(file: string = BREAST_CANCER_CSV): BreastCancerSamples {
  const table = loadTable(file, BREAST_CANCER_READ);
  const n = table.ids.length;
  const d = BREAST_CANCER_FEATURES.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const rows = table.ids.map((id) => table.row(id) as Row);
  BREAST_CANCER_FEATURES.forEach((f, j) => {
    let s = 0;
    for (const r of rows) s += r[f] as number;
    mean[j] = s / n;
    let v = 0;
    for (const r of rows) v += ((r[f] as number) - mean[j]) ** 2;
    std[j] = Math.sqrt(v / n) || 1;
  });
  const samples = new Map<string, Sample>();
  table.ids.forEach((id, i) => {
    const r = rows[i] as Row;
    const data = new Float32Array(d);
    BREAST_CANCER_FEATURES.forEach((f, j) => {
      data[j] = ((r[f] as number) - (mean[j] as number)) / (std[j] as number);
    });
    samples.set(id, { data: { sampleId: id, initialSampleId: id, features: { dtype: 'float32', shape: [d], data }, label: r['target'] as number } });
  });
  return { ids: table.ids, samples, mean, std };
}

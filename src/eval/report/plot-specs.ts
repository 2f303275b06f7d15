/**
 * The report's charts as vega-lite specs: ROC (with confidence band), precision-recall,
 * reliability diagram, confusion matrix. Data are inlined in the specs.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportConfusion, ReportPr, ReportReliability, ReportRoc } from './report-input.js';

const SIZE = 320;
const unit = { scale: { domain: [0, 1] }, axis: { tickCount: 5 } };

function fmt(x: number | undefined): string {
  return x === undefined ? '' : ` (${x.toFixed(3)})`;
}

/** ROC curves with their bands, and the chance diagonal. */
export function rocSpec(curves: readonly ReportRoc[]): TopLevelSpec {
  const lines = curves.flatMap((c) => c.fpr.map((x, i) => ({ curve: `${c.label}${fmt(c.auc)}`, fpr: x, tpr: c.tpr[i] as number, order: i })));
  const bands = curves.flatMap((c) =>
    c.band === undefined ? [] : c.band.fpr.map((x, i) => ({ curve: `${c.label}${fmt(c.auc)}`, fpr: x, lower: c.band?.lower[i] as number, upper: c.band?.upper[i] as number })),
  );
  const banded = curves.filter((c) => c.band !== undefined);
  const band = banded[0]?.band;
  const order = curves.map((c) => `${c.label}${fmt(c.auc)}`);
  const title =
    band === undefined
      ? curves.length > 1
        ? 'ROC curves'
        : 'ROC curve'
      : curves.length > 1
        ? `ROC curves; ${band.confidence}% bootstrap band for ${banded.map((c) => c.label).join(', ')} (${band.replicates} replicates)`
        : `ROC curve with ${band.confidence}% bootstrap band (${band.replicates} replicates)`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: SIZE,
    height: SIZE,
    layer: [
      {
        data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' } },
      },
      ...(bands.length === 0
        ? []
        : [
            {
              data: { values: bands },
              mark: { type: 'area' as const, opacity: 0.25 },
              encoding: {
                x: { field: 'fpr', type: 'quantitative' as const, ...unit },
                y: { field: 'lower', type: 'quantitative' as const, ...unit },
                y2: { field: 'upper' },
                color: { field: 'curve', type: 'nominal' as const, title: 'curve (AUC)', sort: order },
              },
            },
          ]),
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate (1 − specificity)', ...unit },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate (sensitivity)', ...unit },
          order: { field: 'order', type: 'quantitative' },
          color: { field: 'curve', type: 'nominal', title: 'curve (AUC)', sort: order, legend: { labelLimit: 400 } },
        },
      },
    ],
  };
}

/** Precision-recall curves (step interpolation, as average precision sums them) and baselines. */
export function prSpec(curves: readonly ReportPr[]): TopLevelSpec {
  const lines = curves.flatMap((c) => c.recall.map((r, i) => ({ curve: `${c.label}${fmt(c.ap)}`, recall: r, precision: c.precision[i] as number, order: i })));
  const baselines = curves.flatMap((c) => (c.baseline === undefined ? [] : [{ curve: `${c.label}${fmt(c.ap)}`, baseline: c.baseline }]));
  const order = curves.map((c) => `${c.label}${fmt(c.ap)}`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Precision-recall curve',
    width: SIZE,
    height: SIZE,
    layer: [
      ...(baselines.length === 0
        ? []
        : [
            {
              data: { values: baselines },
              mark: { type: 'rule' as const, strokeDash: [4, 4], opacity: 0.7 },
              encoding: { y: { field: 'baseline', type: 'quantitative' as const }, color: { field: 'curve', type: 'nominal' as const, title: 'curve (AP)', sort: order } },
            },
          ]),
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-before' },
        encoding: {
          x: { field: 'recall', type: 'quantitative', title: 'recall (sensitivity)', ...unit },
          y: { field: 'precision', type: 'quantitative', title: 'precision (PPV)', ...unit },
          order: { field: 'order', type: 'quantitative' },
          color: { field: 'curve', type: 'nominal', title: 'curve (AP)', sort: order, legend: { labelLimit: 400 } },
        },
      },
    ],
  };
}

/** Reliability diagram: observed accuracy per confidence bin against the diagonal, with bin counts below. */
export function reliabilitySpec(r: ReportReliability): TopLevelSpec {
  const bins = r.bins.filter((b) => b.count > 0);
  const accuracyTitle = r.accuracyLabel ?? 'observed accuracy';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Reliability diagram${r.ece === undefined ? '' : ` (ECE ${r.ece.toFixed(3)})`}`,
    data: { values: r.bins.map((b) => ({ ...b })) },
    vconcat: [
      {
        width: SIZE,
        height: SIZE,
        layer: [
          {
            data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' } },
          },
          {
            data: { values: bins.map((b) => ({ ...b })) },
            mark: { type: 'bar', opacity: 0.6, color: '#4c78a8', stroke: '#2a4a6b' },
            encoding: {
              x: { field: 'lower', type: 'quantitative', title: 'predicted confidence', ...unit },
              x2: { field: 'upper' },
              y: { field: 'accuracy', type: 'quantitative', title: accuracyTitle, ...unit },
              y2: { datum: 0 },
            },
          },
          {
            data: { values: bins.map((b) => ({ ...b })) },
            mark: { type: 'point', filled: true, color: '#e45756' },
            encoding: {
              x: { field: 'confidence', type: 'quantitative' },
              y: { field: 'accuracy', type: 'quantitative' },
              size: { field: 'count', type: 'quantitative', title: 'rows in bin' },
            },
          },
        ],
      },
      {
        width: SIZE,
        height: 80,
        mark: { type: 'bar', color: '#72b7b2' },
        encoding: {
          x: { field: 'lower', type: 'quantitative', title: 'predicted confidence', ...unit },
          x2: { field: 'upper' },
          y: { field: 'count', type: 'quantitative', title: 'rows', scale: { zero: true } },
          y2: { datum: 0 },
        },
      },
    ],
  };
}

/** Confusion matrix heat map with counts (rows: true class, columns: predicted class). */
export function confusionSpec(c: ReportConfusion): TopLevelSpec {
  const values = c.classNames.flatMap((t, i) => c.classNames.map((p, j) => ({ true: t, predicted: p, count: (c.count[i] as readonly number[])[j] as number })));
  const max = Math.max(1, ...values.map((v) => v.count));
  const side = Math.max(160, Math.min(SIZE, 60 * c.classNames.length));
  const order = [...c.classNames];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix',
    width: side,
    height: side,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: 0 } },
      y: { field: 'true', type: 'ordinal', sort: order, title: 'true class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues', domain: [0, max] }, title: 'count' } } },
      {
        mark: { type: 'text', fontSize: 13 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

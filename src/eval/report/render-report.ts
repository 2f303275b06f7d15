/**
 * The HTML evaluation report: one self-contained file (inline CSS and SVG, no script, no URL)
 * with the results table and the plots (ROC with confidence band, precision-recall,
 * reliability diagram, confusion matrix), drawn with vega-lite → vega → SVG in Node.
 */
import { writeFileAtomic, type WriteFileAtomicOptions } from '../../core/safe-fs.js';
import type { TopLevelSpec } from 'vega-lite';
import { confusionSpec, prSpec, reliabilitySpec, rocSpec } from './plot-specs.js';
import { renderSvg } from './render-svg.js';
import type { ReportInput } from './report-input.js';
import { resultRows } from './results-table.js';

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.3rem; }
.about { color: #555; margin: 0 0 1.5rem 0; padding-left: 1.2rem; }
table { border-collapse: collapse; margin-bottom: 2rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.value { font-family: ui-monospace, Menlo, Consolas, monospace; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure.plot { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 0.6rem; background: white; }
figure.plot figcaption { font-size: 0.85rem; color: #555; margin-top: 0.3rem; }
`;

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * The report as one HTML string. Plots are drawn for the parts of `input` that are present.
 *
 * @example
 * const html = await renderReport({ metrics: { auc: 0.845 }, roc: [{ label: 'CanAT', fpr, tpr, auc: 0.845 }] });
 * @throws vega's error if a plot's data cannot be drawn.
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const title = input.title ?? 'fuseflow evaluation report';
  const plots: { id: string; caption: string; spec: TopLevelSpec }[] = [];
  if (input.roc !== undefined && input.roc.length > 0) {
    const banded = input.roc.some((r) => r.band !== undefined);
    const caption = banded
      ? "ROC curve; the shaded band is a pointwise bootstrap interval (Poisson resampling of the curve's per-threshold counts) of the true positive rate at each false positive rate."
      : 'ROC curve (no confidence band was computed for it).';
    plots.push({ id: 'roc', caption, spec: rocSpec(input.roc) });
  }
  if (input.pr !== undefined && input.pr.length > 0) {
    plots.push({ id: 'pr', caption: 'Precision-recall curve; dashed: precision of a random classifier (the positive rate).', spec: prSpec(input.pr) });
  }
  if (input.reliability !== undefined && input.reliability.bins.length > 0) {
    plots.push({
      id: 'reliability',
      caption: 'Reliability diagram: observed accuracy per confidence bin (bars), mean confidence (dots, sized by rows); dashed: perfect calibration. Below: rows per bin.',
      spec: reliabilitySpec(input.reliability),
    });
  }
  if (input.confusion !== undefined && input.confusion.classNames.length > 0) {
    plots.push({ id: 'confusion', caption: 'Confusion matrix: rows are true classes, columns predicted classes.', spec: confusionSpec(input.confusion) });
  }
  const figures: string[] = [];
  for (const p of plots) {
    const svg = await renderSvg(p.spec);
    figures.push(`<figure class="plot" id="plot-${p.id}" data-plot="${p.id}">${svg}<figcaption>${escapeHtml(p.caption)}</figcaption></figure>`);
  }
  const rows = resultRows(input.metrics)
    .map((r) => `<tr><td>${escapeHtml(r.name)}</td><td class="value">${escapeHtml(r.value)}</td></tr>`)
    .join('\n');
  const about = (input.about ?? []).map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${about === '' ? '' : `<ul class="about">${about}</ul>`}
<h2>Results</h2>
<table id="results">
<thead><tr><th>metric</th><th>value</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${figures.length === 0 ? '' : `<h2>Plots</h2>\n<div class="plots">\n${figures.join('\n')}\n</div>`}
</body>
</html>
`;
}

/**
 * Renders the report and writes it to `path` atomically (temp file → fsync → rename), never
 * through a symbolic link and, unless `options.overwrite`, never over an existing file.
 *
 * @example
 * await writeReport('report.html', { metrics: result.metrics, roc: [roc], pr: [pr] });
 * @throws {OutputError} naming the file: it exists (without `overwrite`), is a link, or the write
 *   failed (missing folder, read-only, full disk).
 */
export async function writeReport(path: string, input: ReportInput, options: WriteFileAtomicOptions = {}): Promise<void> {
  writeFileAtomic(path, await renderReport(input), options);
}

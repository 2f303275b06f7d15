import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { writeReport, renderReport } from '../../../src/eval/report/render-report.js';
import { curvesFromRoc } from '../../../src/eval/report/curves-from-roc.js';
import type { ReportInput } from '../../../src/eval/report/report-input.js';
import { reportInput, reportMetrics } from '../../../src/eval/report/report-from-results.js';
import { evaluate } from '../../../src/eval/evaluate.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { oneVsRest } from '../../../src/eval/metrics/one-vs-rest.js';
import { KNIGHT_CSV } from '../knight-fixture.js';
import { launchChromium } from './headless-chromium.js';

// A small ROC: 4 positives, 6 negatives.
const curve = { fpr: [0, 0, 1 / 6, 1 / 6, 0.5, 1], tpr: [0, 0.5, 0.5, 0.75, 1, 1] };
const { roc, pr } = curvesFromRoc('positive', curve, 4, 6, { auc: 0.875, bandReplicates: 100, seed: 1 });

const input: ReportInput = {
  title: 'Report <test>',
  about: ['inputs: synthetic'],
  metrics: {
    auc: 0.875,
    ci: { org: 0.875, mean: 0.87, std: 0.05, conf_interval: 95, conf_lower: 0.7, conf_upper: 1 },
    confusion: { sensitivity: 0.75, tp: 3 },
  },
  roc: [roc],
  pr: [pr],
  reliability: {
    ece: 0.08,
    bins: [
      { lower: 0, upper: 0.5, confidence: 0.2, accuracy: 0.25, count: 4 },
      { lower: 0.5, upper: 1, confidence: 0.8, accuracy: 0.6666, count: 6 },
    ],
  },
  confusion: {
    classNames: ['neg', 'pos'],
    count: [
      [5, 1],
      [1, 3],
    ],
  },
};

describe('renderReport', () => {
  it('writes one self-contained HTML file: inline SVG plots, escaped text, no script and no URL', async () => {
    const html = await renderReport(input);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/);
    expect(html).toContain('Report &lt;test&gt;');
    for (const id of ['roc', 'pr', 'reliability', 'confusion']) expect(html).toContain(`data-plot="${id}"`);
    expect(html).toContain('<td>ci</td><td class="value">0.8750 [0.7000, 1] (95% CI, mean 0.8700, std 0.0500)</td>');
    expect(html).toContain('<td>confusion.tp</td><td class="value">3</td>');
  });

  it('draws only the plots it has data for', async () => {
    const html = await renderReport({ metrics: { accuracy: 0.5 } });
    expect(html).not.toContain('data-plot=');
    expect(html).toContain('<td>accuracy</td>');
  });

  it('computes PR points and average precision from the ROC curve and counts (scikit-learn definition)', () => {
    // Thresholds give (tp, fp): (2,0), (2,1), (3,1), (4,3), (4,6).
    expect(pr.recall).toEqual([0, 0.5, 0.5, 0.75, 1, 1]);
    expect(pr.precision).toEqual([1, 1, 2 / 3, 3 / 4, 4 / 7, 4 / 10]);
    const ap = curvesFromRoc('p', curve, 4, 6, { bandReplicates: 0 }).pr.ap as number;
    expect(ap).toBeCloseTo(0.5 * 1 + 0.25 * 0.75 + 0.25 * (4 / 7), 12);
    expect(roc.band?.fpr).toHaveLength(101);
    roc.band?.lower.forEach((lo, i) => expect(lo).toBeLessThanOrEqual(roc.band?.upper[i] as number));
  });
});

// What the page functions below use of the browser's DOM (this Node project's lib has no DOM types).
interface Box {
  readonly width: number;
  readonly height: number;
}
interface Mark {
  getBBox(): Box;
  readonly parentElement: { getAttribute(name: string): string | null } | null;
}
interface PlotSvg {
  getBoundingClientRect(): Box;
  querySelectorAll(selector: string): ArrayLike<Mark>;
}
interface PlotFigure {
  querySelector(selector: 'svg'): PlotSvg | null;
  getAttribute(name: string): string | null;
}

describe('the report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every plot with visible marks, making no network request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuseflow-report-'));
    const file = join(dir, 'report.html');
    await writeReport(file, input);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    const plots = await page.$$eval('figure.plot', (figs: readonly PlotFigure[]) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg === null ? [] : Array.from(svg.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] rect, g[class*="mark-"] line, g[class*="mark-"] text'));
        const drawn = marks.filter((m) => {
          const b = m.getBBox();
          return b.width > 0 || b.height > 0;
        });
        return {
          id: f.getAttribute('data-plot'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          drawn: drawn.length,
          classes: Array.from(new Set(marks.map((m) => m.parentElement?.getAttribute('class') ?? ''))),
        };
      }),
    );
    expect(plots.map((p) => p.id)).toEqual(['roc', 'pr', 'reliability', 'confusion']);
    for (const p of plots) {
      expect(p.width, p.id ?? '').toBeGreaterThan(100);
      expect(p.height, p.id ?? '').toBeGreaterThan(100);
      expect(p.drawn, p.id ?? '').toBeGreaterThan(3);
    }
    const cls = (id: string): string => plots.find((p) => p.id === id)?.classes.join(' ') ?? '';
    expect(cls('roc')).toMatch(/mark-area/); // the confidence band
    expect(cls('roc')).toMatch(/mark-line/);
    expect(cls('pr')).toMatch(/mark-line/);
    expect(cls('reliability')).toMatch(/mark-rect/);
    expect(cls('confusion')).toMatch(/mark-rect/);
    expect(cls('confusion')).toMatch(/mark-text/);
    expect(await page.$$eval('#results tbody tr', (rows) => rows.length)).toBe(4);
    await page.screenshot({ path: join(tmpdir(), 'fuseflow-report-test.png'), fullPage: true });
    expect(requests).toEqual([]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/https?:\/\//);
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the plots of a real multi-class evaluation (KNIGHT task 2) built from evaluate results', async () => {
    const classNames = ['B', 'LR', 'IR', 'HR', 'VHR'];
    const keys = { preds: classNames.map((c) => `${c}-score`), target: 'task2_class', classNames };
    const result = await evaluate({
      data: KNIGHT_CSV,
      metrics: { auc: oneVsRest({ ...keys, metric: (k) => auc(k) }), ...reportMetrics(keys) },
    });
    const content = reportInput(result.metrics, { auc: result.metrics.auc }, keys, { bandReplicates: 50 });
    expect(content.roc?.map((r) => r.label)).toEqual(classNames);
    expect(content.roc?.[0]?.auc).toBeCloseTo(0.8771929824561403, 12);
    expect(content.reliability?.bins.map((b) => b.count)).toEqual([0, 0, 2, 16, 26, 13, 2, 1, 0, 0]);
    expect(content.confusion?.count[1]).toEqual([8, 21, 2, 2, 0]);
    const page = await browser.newPage();
    await page.setContent(await renderReport(content));
    const plots = await page.$$eval('figure.plot svg', (svgs: readonly PlotSvg[]) =>
      svgs.map((svg) => ({ w: svg.getBoundingClientRect().width, marks: svg.querySelectorAll('g[class*="mark-"] > *').length })),
    );
    expect(plots).toHaveLength(4);
    for (const p of plots) {
      expect(p.w).toBeGreaterThan(100);
      expect(p.marks).toBeGreaterThan(3);
    }
    await page.close();
  });
});

describe('ROC caption', () => {
  it('mentions a band only when a curve has one', async () => {
    const html = await renderReport({ metrics: { auc: 0.75 }, roc: [{ label: 'model', fpr: [0, 0.5, 1], tpr: [0, 1, 1], auc: 0.75 }] });
    expect(html).toContain('no confidence band was computed');
    expect(html).not.toContain('the shaded band is');
  });
});

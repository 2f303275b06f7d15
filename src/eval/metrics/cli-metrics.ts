/**
 * The metrics `fuseflow eval --metrics NAME,…` accepts: CLI name → factory of the common CLI
 * options (the table is in ./index.ts). Kept apart from the package's metric exports so that an
 * eval process (every shard of a map/merge run) loads these metrics only, not every metric family
 * the library exports (segmentation, survival, sequence, comparisons): fewer modules to start.
 */
import { OptionsError } from '../../core/errors.js';
import type { Metric } from '../metric.js';
import { accuracy } from './accuracy.js';
import { auc } from './auc.js';
import { aucPr } from './aucpr.js';
import { balancedAccuracy } from './balanced-accuracy.js';
import type { BinaryKeys } from './binary-rows.js';
import { brier } from './brier.js';
import { brierSkillScore } from './brier-skill-score.js';
import type { ClassKeys } from './class-keys.js';
import { confusion } from './confusion.js';
import { confusionMatrix } from './confusion-matrix.js';
import { logLoss } from './log-loss.js';
import { mcc } from './mcc.js';
import { oneVsRest } from './one-vs-rest.js';
import { rocCurve } from './roc-curve.js';
import { ece } from '../calibration/ece.js';
import { reliabilityDiagram } from '../calibration/reliability-diagram.js';
import { mae } from '../regression/mae.js';
import { mse } from '../regression/mse.js';
import { rmse } from '../regression/rmse.js';
import { r2 } from '../regression/r2.js';
import { pearson } from '../regression/pearson.js';
import { spearman } from '../regression/spearman.js';

/** The options the CLI (and any caller mapping names to metrics) passes: the shared class keys and a threshold. */
export interface CliMetricOptions extends ClassKeys {
  /** Binary decision threshold (strictly above is positive). Default 0.5. */
  readonly threshold?: number;
}

type AnyMetric = Metric<unknown, unknown>;

function binaryOrOvr(cliName: string, make: (keys: BinaryKeys & { readonly name: string }) => Metric<unknown, number>) {
  return (o: CliMetricOptions): AnyMetric => {
    const name = o.name ?? cliName;
    const common = { ...(o.idKey === undefined ? {} : { idKey: o.idKey }), ...(o.nonFinite === undefined ? {} : { nonFinite: o.nonFinite }) };
    if (o.preds !== undefined) {
      return oneVsRest({ name, preds: o.preds, target: o.target, ...(o.classNames === undefined ? {} : { classNames: o.classNames }), metric: make, ...common });
    }
    return make({
      name,
      pred: o.pred ?? '',
      target: o.target,
      ...(o.classNames === undefined ? {} : { classNames: o.classNames }),
      ...(o.positive === undefined ? {} : { positive: o.positive }),
      ...common,
    });
  };
}

function classCount(cliName: string, make: (o: Parameters<typeof accuracy>[0]) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => make({ ...o, name: o.name ?? cliName });
}

function prob(cliName: string, make: (o: Parameters<typeof brier>[0]) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => {
    const { threshold, ...rest } = o;
    void threshold;
    return make({ ...rest, name: o.name ?? cliName });
  };
}

function regression(cliName: string, make: (o: { name: string; pred: string; target: string; idKey?: string }) => AnyMetric) {
  return (o: CliMetricOptions): AnyMetric => {
    if (o.pred === undefined) throw new OptionsError(`${cliName}: a regression metric needs one --pred column`);
    return make({ name: o.name ?? cliName, pred: o.pred, target: o.target, ...(o.idKey === undefined ? {} : { idKey: o.idKey }) });
  };
}

/** CLI metric names → factories of `CliMetricOptions`. */
export const METRICS_BY_CLI_NAME: Readonly<Record<string, (o: CliMetricOptions) => AnyMetric>> = {
  auc: binaryOrOvr('auc', (k) => auc(k)),
  aucpr: binaryOrOvr('aucpr', (k) => aucPr(k)),
  roc: (o) => (o.preds !== undefined ? binaryOrOvr('roc', (k) => auc(k))(o) : rocCurve({ ...o, name: o.name ?? 'roc', pred: o.pred ?? '' })),
  accuracy: classCount('accuracy', (o) => accuracy(o)),
  'balanced-accuracy': classCount('balanced-accuracy', (o) => balancedAccuracy(o)),
  confusion: classCount('confusion', (o) => confusion(o)),
  'confusion-matrix': classCount('confusion-matrix', (o) => confusionMatrix(o)),
  mcc: classCount('mcc', (o) => mcc(o)),
  brier: prob('brier', (o) => brier(o)),
  bss: prob('bss', (o) => brierSkillScore(o)),
  logloss: prob('logloss', (o) => logLoss(o)),
  ece: prob('ece', (o) => ece(o)),
  reliability: prob('reliability', (o) => reliabilityDiagram(o)),
  mae: regression('mae', (o) => mae(o)),
  mse: regression('mse', (o) => mse(o)),
  rmse: regression('rmse', (o) => rmse(o)),
  r2: regression('r2', (o) => r2(o)),
  pearson: regression('pearson', (o) => pearson(o)),
  spearman: regression('spearman', (o) => spearman(o)),
};

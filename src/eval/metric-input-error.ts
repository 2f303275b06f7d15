import { FuseflowError } from '../core/errors.js';

/**
 * A metric met input it cannot use: a non-finite score, a target outside the class set, a
 * column of the wrong length. Names the metric, the column key and the row (and the sample id
 * when the batch carries one).
 */
export class MetricInputError extends FuseflowError {
  readonly metric: string;
  readonly key: string | undefined;
  readonly row: number | undefined;
  readonly sampleId: string | undefined;
  constructor(metric: string, message: string, where: { key?: string; row?: number; sampleId?: string } = {}) {
    const parts = [`metric '${metric}'`];
    if (where.key !== undefined) parts.push(`key '${where.key}'`);
    if (where.row !== undefined) parts.push(`row ${where.row}`);
    if (where.sampleId !== undefined) parts.push(`sample '${where.sampleId}'`);
    super(`${parts.join(', ')}: ${message}`);
    this.metric = metric;
    this.key = where.key;
    this.row = where.row;
    this.sampleId = where.sampleId;
  }
}

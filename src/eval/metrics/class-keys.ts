/**
 * The column options shared by the classification metrics (class counts, probabilistic metrics
 * and the CLI's metric table): a binary score column or one probability column per class, the
 * targets and the class set.
 */
import type { Label, NonFinitePolicy } from './columns.js';

/** Keys of a classification metric. */
export interface ClassKeys {
  /** Result name. Default: the metric's own name. */
  readonly name?: string;
  /**
   * Binary: column of the positive-class score or probability (class-count metrics: or of
   * predicted classes with `predType: 'class'`).
   */
  readonly pred?: string;
  /** Multi-class: one probability column per class (then targets are class names or indices). */
  readonly preds?: readonly string[];
  /** Column of targets (class names or indices; 0/1 for binary). */
  readonly target: string;
  /** Class names, in the order of `preds`. Default ['0', '1'] (or one per `preds` column: '0', '1', …). */
  readonly classNames?: readonly Label[];
  /** Binary only: the positive class (see `BinaryKeys.positive`). */
  readonly positive?: Label;
  /** Column of sample ids for error messages. */
  readonly idKey?: string;
  /** Rows with non-finite scores or probabilities: `'error'` (default) or `'skip'` (counted). */
  readonly nonFinite?: NonFinitePolicy;
}

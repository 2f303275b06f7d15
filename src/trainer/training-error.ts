/** Errors of the fit loop. */
import { FuseflowError } from '../core/errors.js';

/**
 * Training cannot go on: the loss became NaN or infinite, or a batch failed. Names the epoch
 * and step; the checkpoints already written are left as they were.
 */
export class TrainingError extends FuseflowError {
  readonly epoch: number;
  readonly step: number;
  constructor(message: string, where: { readonly epoch: number; readonly step: number }, options?: { cause?: unknown }) {
    super(`epoch ${where.epoch}, step ${where.step}: ${message}`, options);
    this.epoch = where.epoch;
    this.step = where.step;
  }
}

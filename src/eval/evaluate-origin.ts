/**
 * Errors raised while a metric folds a batch, placed in the input: an error naming a batch row
 * gets the file and line (or row) of that row added; any other error that is not already a
 * `FuseflowError` is wrapped in one naming the metric. Used by `evaluate` in-thread and, through
 * {@link ThreadError}, for errors raised on worker threads.
 */
import { FuseflowError, InputError, OptionsError } from '../core/errors.js';
import { describeOrigin, type RowOrigin } from './sources/eval-source.js';

/** Runs a metric step; an error naming a batch row gets the input position of that row added. */
export function withOrigin<T>(name: string, where: ((i: number) => RowOrigin) | undefined, step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw placeError(name, err, where);
  }
}

/** The error `evaluate` reports for `err`, thrown by metric `name` on a batch whose rows come from `where`. */
export function placeError(name: string, err: unknown, where: ((i: number) => RowOrigin) | undefined): unknown {
  if (!(err instanceof Error)) return err;
  const row = (err as { row?: unknown }).row;
  if (typeof row === 'number' && where !== undefined) {
    const origin = where(row);
    const at = origin.line === undefined ? ` (input: ${describeOrigin(origin)})` : '';
    return new InputError(`${err.message}${at}`, {
      ...(origin.line === undefined || origin.file === undefined ? {} : { file: origin.file, line: origin.line }),
    });
  }
  if (err instanceof FuseflowError) return err;
  return new FuseflowError(`metric '${name}' failed: ${err.message}`, { cause: err });
}

/** A metric error as a worker thread sends it (structured-cloneable). */
export interface ThreadError {
  /** The metric that failed. */
  readonly metric: string;
  readonly message: string;
  /** The batch row it names, placed in the input by the main thread (which knows where rows came from). */
  readonly row?: number;
  /** `InputError`, `OptionsError` or another `FuseflowError` subclass name. */
  readonly className: string;
  readonly file?: string;
  readonly line?: number;
}

/** What a worker thread sends for `err`, raised by metric `name`. */
export function threadErrorOf(name: string, err: unknown): ThreadError {
  const row = err instanceof Error ? (err as { row?: unknown }).row : undefined;
  if (err instanceof Error && typeof row === 'number') return { metric: name, message: err.message, row, className: err.name };
  const placed = placeError(name, err, undefined);
  if (!(placed instanceof Error)) return { metric: name, message: `metric '${name}' failed: ${String(placed)}`, className: 'FuseflowError' };
  const where = placed instanceof InputError ? { ...(placed.file === undefined ? {} : { file: placed.file }), ...(placed.line === undefined ? {} : { line: placed.line }) } : {};
  return { metric: name, message: placed.message, className: placed instanceof FuseflowError ? placed.name : 'FuseflowError', ...where };
}

/** The error to throw on the main thread for a worker's `error`, whose batch rows come from `where`. */
export function errorFromThread(error: ThreadError, where: ((i: number) => RowOrigin) | undefined): unknown {
  if (error.row !== undefined) {
    const err = Object.assign(new FuseflowError(error.message), { row: error.row });
    return placeError(error.metric, err, where);
  }
  if (error.className === 'InputError') {
    const err = new InputError(error.message);
    Object.defineProperties(err, { file: { value: error.file }, line: { value: error.line } });
    return err;
  }
  if (error.className === 'OptionsError') return new OptionsError(error.message);
  const err = new FuseflowError(error.message);
  err.name = error.className;
  return err;
}

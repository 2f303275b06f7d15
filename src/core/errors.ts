/**
 * Error types shared by every fuseflow module. Each carries the context a user needs to find the
 * bad input: the key, the sample id, the op, the file and line.
 */

/** Base class: every error fuseflow throws on purpose is a `FuseflowError`. */
export class FuseflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option given to a factory is invalid; thrown when the pipeline is built. */
export class OptionsError extends FuseflowError {}

/** A key path is absent from a sample; the message lists the closest existing keys. */
export class MissingKeyError extends FuseflowError {
  readonly key: string;
  readonly closest: readonly string[];
  readonly sampleId: string | undefined;
  constructor(key: string, closest: readonly string[], sampleId?: string) {
    const where = sampleId === undefined ? '' : ` in sample '${sampleId}'`;
    const hint = closest.length > 0 ? `; closest keys: ${closest.map((k) => `'${k}'`).join(', ')}` : '; the sample is empty';
    super(`missing key '${key}'${where}${hint}`);
    this.key = key;
    this.closest = closest;
    this.sampleId = sampleId;
  }
}

/** A value at a key has the wrong type or shape. */
export class TypeMismatchError extends FuseflowError {}

/** Bad input data read from a file: names the file and, where known, the line and key. */
export class InputError extends FuseflowError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, where: { file?: string; line?: number } = {}) {
    const parts: string[] = [];
    if (where.file !== undefined) parts.push(where.file);
    if (where.line !== undefined) parts.push(`line ${where.line}`);
    super(parts.length > 0 ? `${parts.join(':')}: ${message}` : message);
    this.file = where.file;
    this.line = where.line;
  }
}

/** An op failed on a sample: carries the op name, op id, sample id and the cause. */
export class OpError extends FuseflowError {
  readonly op: string;
  readonly opId: string;
  readonly sampleId: string;
  constructor(op: string, opId: string, sampleId: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`op '${op}' (id '${opId}') failed on sample '${sampleId}': ${reason}`, { cause });
    this.op = op;
    this.opId = opId;
    this.sampleId = sampleId;
  }
}

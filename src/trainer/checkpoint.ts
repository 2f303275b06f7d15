/**
 * Checkpoints: one self-contained file holding the network topology, the key binding, every
 * weight (batch-norm statistics included), the optimizer state and the training state (epoch,
 * stream position, seed, step, best value, the run's configuration). Written atomically through
 * {@link writeFileAtomic} (temporary file in the same folder, flushed, renamed over the target;
 * a symbolic link at the target is refused), so a crash never leaves a half-written checkpoint
 * and the previous one stays intact. Every file ends with a SHA-256 checksum of everything before
 * it, verified on read: a truncated or altered checkpoint is refused, never resumed from.
 *
 * Layout (format 2): `FFCKPT02` · u32 LE header length · JSON header · zero padding to 8 bytes ·
 * float32 blobs · SHA-256 (32 bytes) of all preceding bytes. Format 1 (`FFCKPT01`, no checksum)
 * is refused with a message that says so.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.js';
import { isList } from '../core/is-list.js';
import { writeFileAtomic } from '../core/safe-fs.js';
import type { DictModelBinding, DictModel } from './models/dict-model.js';
import { dictModel } from './models/dict-model.js';
// Registers the custom layers that checkpointed topologies may use.
import './models/batch-norm.js';
import './models/seeded-dropout.js';
import type { OptimizerConfig, OptimizerState } from './optim/optimizer.js';

const MAGIC = 'FFCKPT02';
const FORMAT = 2;
const DIGEST_BYTES = 32;

/** What a checkpoint carries besides weights: enough to resume exactly. */
export type TrainState = Readonly<Record<string, unknown>>;

interface BlobRef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly format: typeof FORMAT;
  /** Bytes of float32 blobs after the padded header (the checksum follows them). */
  readonly blobBytes: number;
  readonly topology: unknown;
  readonly binding: DictModelBinding;
  readonly weights: readonly BlobRef[];
  readonly optimizer: { readonly config: OptimizerConfig; readonly step: number; readonly slots: readonly BlobRef[] } | null;
  readonly trainState: TrainState;
}

/** A checkpoint read back into memory. */
export interface Checkpoint {
  readonly topology: unknown;
  readonly binding: DictModelBinding;
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }[];
  readonly optimizer: OptimizerState | null;
  readonly trainState: TrainState;
}

/**
 * Writes a checkpoint atomically (temp file, fsync, rename), replacing an existing regular file at
 * `path`; a symbolic link at `path` is refused.
 * @example await saveCheckpoint('run/last.ckpt', { model, optimizer: await opt.state(), trainState: { epoch: 3 } });
 * @throws {OutputError} naming the file when it cannot be written (read-only, full, a link).
 */
export async function saveCheckpoint(
  path: string,
  content: { readonly model: DictModel; readonly optimizer?: OptimizerState | null; readonly trainState: TrainState },
): Promise<void> {
  const blobs: Float32Array[] = [];
  let offset = 0;
  const ref = (name: string, shape: readonly number[], data: Float32Array): BlobRef => {
    const r = { name, shape: [...shape], offset, length: data.length };
    blobs.push(data);
    offset += data.length * 4;
    return r;
  };
  const weights: BlobRef[] = [];
  for (const w of content.model.net.weights) {
    const value = w.read();
    weights.push(ref(w.originalName, value.shape, Float32Array.from((await value.data()) as ArrayLike<number>)));
  }
  const opt = content.optimizer ?? null;
  const optimizer = opt === null ? null : { config: opt.config, step: opt.step, slots: opt.slots.map((s) => ref(s.name, s.shape, s.data)) };
  const header: Header = {
    format: FORMAT,
    blobBytes: offset,
    topology: content.model.net.toJSON(undefined, false),
    binding: content.model.binding,
    weights,
    optimizer,
    trainState: content.trainState,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headLen = 8 + 4 + json.length;
  const prefix = Buffer.alloc(headLen + padOf(headLen));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);
  const parts: Uint8Array[] = [prefix, ...blobs.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength))];
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  parts.push(hash.digest());
  writeFileAtomic(path, parts, { overwrite: true });
}

/**
 * Reads a checkpoint file, verifying its checksum first.
 * @throws {InputError} naming the file when it is unreadable, not a fuseflow checkpoint, of
 *   another format version, truncated, damaged ("checksum mismatch") or malformed.
 */
export function readCheckpoint(path: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new InputError(`cannot read checkpoint: ${(err as Error).message}`, { file: path });
  }
  const magic = buf.toString('latin1', 0, Math.min(8, buf.length));
  if (magic !== MAGIC) {
    if (/^FFCKPT\d\d$/.test(magic)) {
      throw new InputError(
        `checkpoint format '${magic}' is not read by this fuseflow (it reads ${MAGIC}, which carries a checksum); retrain, or use the fuseflow version that wrote it`,
        { file: path },
      );
    }
    throw new InputError(buf.length < 8 ? 'not a fuseflow checkpoint (truncated or empty file)' : 'not a fuseflow checkpoint (bad magic)', { file: path });
  }
  if (buf.length < 12 + DIGEST_BYTES) throw new InputError(`truncated checkpoint (${buf.length} bytes)`, { file: path });
  const len = buf.readUInt32LE(8);
  const body = buf.subarray(0, buf.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) {
    const declared = declaredSize(buf, len);
    const size = declared !== null && buf.length < declared ? ` (${buf.length} bytes, its header declares ${declared}: truncated)` : '';
    throw new InputError(`checksum mismatch: the checkpoint is damaged${size}; it is not used (resume from another checkpoint or retrain)`, { file: path });
  }
  const bad = (what: string): InputError => new InputError(`malformed checkpoint: ${what}`, { file: path });
  if (12 + len > body.length) throw bad('header runs past the end');
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Header;
  } catch (err) {
    throw bad(`unreadable header: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) throw bad(`header format is not ${FORMAT}`);
  const start = 12 + len + padOf(12 + len);
  if (start + header.blobBytes !== body.length) throw bad(`blobs of ${header.blobBytes} bytes do not fill the file`);
  const blob = (r: BlobRef): Float32Array => {
    const size = isList(r.shape) ? r.shape.reduce((a, b) => a * b, 1) : Number.NaN;
    if (!Number.isInteger(r.offset) || !Number.isInteger(r.length) || r.offset < 0 || r.offset % 4 !== 0 || size !== r.length || r.offset + r.length * 4 > header.blobBytes) {
      throw bad(`tensor '${String(r.name)}' has an invalid offset, length or shape`);
    }
    const out = new Float32Array(r.length);
    new Uint8Array(out.buffer).set(body.subarray(start + r.offset, start + r.offset + r.length * 4));
    return out;
  };
  if (!isList(header.weights)) throw bad('no weight list');
  if (header.optimizer !== null && !isList(header.optimizer?.slots)) throw bad('optimizer without slots');
  if (typeof header.trainState !== 'object' || header.trainState === null) throw bad('no train state');
  return {
    topology: header.topology,
    binding: header.binding,
    weights: header.weights.map((r) => ({ name: r.name, shape: r.shape, data: blob(r) })),
    optimizer:
      header.optimizer === null
        ? null
        : { config: header.optimizer.config, step: header.optimizer.step, slots: header.optimizer.slots.map((r) => ({ name: r.name, shape: r.shape, data: blob(r) })) },
    trainState: header.trainState,
  };
}

/** Zero bytes that pad `n` to a multiple of 8. */
function padOf(n: number): number {
  return (8 - (n % 8)) % 8;
}

/** The file size the header declares, or null when the header cannot be read (then only the checksum speaks). */
function declaredSize(buf: Buffer, len: number): number | null {
  if (12 + len > buf.length) return null;
  try {
    const h = JSON.parse(buf.toString('utf8', 12, 12 + len)) as { blobBytes?: unknown };
    return typeof h.blobBytes === 'number' ? 12 + len + padOf(12 + len) + h.blobBytes + DIGEST_BYTES : null;
  } catch {
    return null;
  }
}

/**
 * Sets a model's weights from a checkpoint (same architecture).
 * @throws {InputError} when the number or shapes of the weights differ.
 */
export function restoreWeights(model: DictModel, ckpt: Checkpoint, file = 'checkpoint'): void {
  const vars = model.net.weights;
  if (vars.length !== ckpt.weights.length) throw new InputError(`checkpoint has ${ckpt.weights.length} weights, the model has ${vars.length}`, { file });
  const tensors = ckpt.weights.map((w, i) => {
    const expected = (vars[i] as (typeof vars)[number]).shape;
    if (w.shape.join(',') !== expected.join(',')) {
      throw new InputError(`weight ${i} ('${w.name}') has shape [${w.shape.join(',')}], the model needs [${expected.join(',')}]`, { file });
    }
    return tf.tensor(w.data, [...w.shape]);
  });
  model.net.setWeights(tensors);
  tf.dispose(tensors);
}

/**
 * Rebuilds the model stored in a checkpoint (topology + weights), ready for inference or more training.
 * @example const model = await loadModel('run/best.ckpt');
 * @throws {InputError} for an unreadable file.
 */
export async function loadModel(path: string): Promise<DictModel> {
  const ckpt = readCheckpoint(path);
  const net = await tf.models.modelFromJSON({ modelTopology: ckpt.topology as tf.io.ModelJSON['modelTopology'] });
  const model = dictModel(net, ckpt.binding);
  restoreWeights(model, ckpt, path);
  return model;
}

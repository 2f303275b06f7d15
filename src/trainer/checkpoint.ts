/**
 * Checkpoints: one self-contained file holding the network topology, the key binding, every
 * weight (batch-norm statistics included), the optimizer state and the training state (epoch,
 * stream position, seed, step, best value). Written atomically: to a temporary file in the same
 * folder, flushed, then renamed over the target, so a crash never leaves a half-written
 * checkpoint and the previous one stays intact.
 *
 * Layout: `FFCKPT01` · u32 LE header length · JSON header · zero padding to 8 bytes · float32 blobs.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.js';
import type { DictModelBinding, DictModel } from './models/dict-model.js';
import { dictModel } from './models/dict-model.js';
// Registers the custom layers that checkpointed topologies may use.
import './models/batch-norm.js';
import './models/seeded-dropout.js';
import type { OptimizerConfig, OptimizerState } from './optim/optimizer.js';

const MAGIC = 'FFCKPT01';

/** What a checkpoint carries besides weights: enough to resume exactly. */
export type TrainState = Readonly<Record<string, unknown>>;

interface BlobRef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly format: 1;
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
 * Writes a checkpoint atomically (temp file, fsync, rename).
 * @example await saveCheckpoint('run/last.ckpt', { model, optimizer: await opt.state(), trainState: { epoch: 3 } });
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
  const header: Header = {
    format: 1,
    topology: content.model.net.toJSON(undefined, false),
    binding: content.model.binding,
    weights,
    optimizer: opt === null ? null : { config: opt.config, step: opt.step, slots: opt.slots.map((s) => ref(s.name, s.shape, s.data)) },
    trainState: content.trainState,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headLen = 8 + 4 + json.length;
  const pad = (8 - (headLen % 8)) % 8;
  const prefix = Buffer.alloc(headLen + pad);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    for (const b of blobs) writeSync(fd, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * Reads a checkpoint file.
 * @throws {InputError} naming the file when it is not a fuseflow checkpoint or is truncated.
 */
export function readCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new InputError('not a fuseflow checkpoint (bad magic)', { file: path });
  const len = buf.readUInt32LE(8);
  if (12 + len > buf.length) throw new InputError('truncated checkpoint header', { file: path });
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Header;
  } catch (err) {
    throw new InputError(`unreadable checkpoint header: ${(err as Error).message}`, { file: path });
  }
  const start = 12 + len + ((8 - ((12 + len) % 8)) % 8);
  const blob = (r: BlobRef): Float32Array => {
    const at = start + r.offset;
    if (at + r.length * 4 > buf.length) throw new InputError(`truncated checkpoint: tensor '${r.name}' runs past the end`, { file: path });
    const out = new Float32Array(r.length);
    new Uint8Array(out.buffer).set(buf.subarray(at, at + r.length * 4));
    return out;
  };
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
  const model = dictModel(net as tf.LayersModel, ckpt.binding);
  restoreWeights(model, ckpt, path);
  return model;
}

/**
 * TensorFlow.js Layers models on the file system (the `model.json` + binary weight shards that
 * `tensorflowjs_converter --input_format keras` writes, and `model.save` writes): a load handler
 * and a save handler for `@tensorflow/tfjs` in Node without `tfjs-node`. Loading checks what it
 * reads: shard paths must stay inside the model's folder, every shard must exist, and the shards'
 * bytes must be exactly what the weights manifest declares. Saving goes through `core/safe-fs`
 * (atomic; an existing file is refused unless `overwrite`).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { makeRunFolder } from '../run-folder.js';

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, int16: 2 };

/** Bytes a manifest entry takes in the shards (quantized entries use their quantized dtype). */
function entryBytes(e: tf.io.WeightsManifestEntry, file: string): number {
  const dtype = e.quantization?.dtype ?? e.dtype;
  const per = BYTES[dtype];
  if (per === undefined || !Array.isArray(e.shape)) throw new InputError(`weight '${e.name}' has an unsupported dtype '${String(dtype)}' or no shape`, { file });
  return e.shape.reduce((a, d) => a * d, 1) * per;
}

/**
 * A load handler for `tf.loadLayersModel` reading `model.json` (or a folder holding one) and its
 * weight shards from disk.
 * @example const net = await tf.loadLayersModel(layersModelFiles('models/keras-backbone'));
 */
export function layersModelFiles(path: string): tf.io.IOHandler {
  const jsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  const folder = dirname(jsonPath);
  return {
    async load() {
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new InputError(`cannot read a TensorFlow.js model: ${(err as Error).message}`, { file: jsonPath });
      }
      if (typeof modelJSON !== 'object' || modelJSON === null || modelJSON.modelTopology === undefined) {
        throw new InputError('not a TensorFlow.js Layers model (no modelTopology; a graph model cannot be used as a backbone)', { file: jsonPath });
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, (manifest) => {
        if (!Array.isArray(manifest)) throw new InputError('weightsManifest is not a list', { file: jsonPath });
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          let have = 0;
          for (const p of group.paths) {
            const shard = normalize(join(folder, p));
            if (isAbsolute(p) || !shard.startsWith(normalize(folder) + sep))
              throw new InputError(`weight shard path '${p}' leaves the model's folder (refused)`, { file: jsonPath });
            let bytes: Buffer;
            try {
              bytes = readFileSync(shard);
            } catch (err) {
              throw new InputError(`cannot read weight shard '${p}': ${(err as Error).message}`, { file: jsonPath });
            }
            have += bytes.length;
            parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
          const want = group.weights.reduce((a, e) => a + entryBytes(e, jsonPath), 0);
          if (have !== want) {
            throw new InputError(`weight shards ${group.paths.join(', ')} hold ${have} bytes, the manifest declares ${want} (truncated or from another model)`, {
              file: jsonPath,
            });
          }
          specs.push(...group.weights);
        }
        return Promise.resolve([specs, tf.io.concatenateArrayBuffers(parts)]);
      });
    },
  };
}

/** Options of {@link saveLayersModelFiles}. */
export interface SaveLayersModelOptions {
  /** Replace existing `model.json` / `weights.bin`. Default false: they are refused. */
  readonly overwrite?: boolean;
}

/**
 * A save handler for `model.save`: writes `<folder>/model.json` and one shard `weights.bin`
 * (the folder is created if absent).
 * @example await net.save(saveLayersModelFiles('models/backbone'));
 * @throws {OutputError} (from `save`) naming a file that exists (without `overwrite`) or cannot be written.
 */
export function saveLayersModelFiles(folder: string, options: SaveLayersModelOptions = {}): tf.io.IOHandler {
  return {
    save(artifacts) {
      makeRunFolder(folder);
      const data =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.concatenateArrayBuffers(Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData]);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }];
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
        weightsManifest: manifest,
      };
      const overwrite = options.overwrite === true;
      writeFileAtomic(join(folder, 'weights.bin'), new Uint8Array(data), { overwrite });
      writeFileAtomic(join(folder, 'model.json'), JSON.stringify(json), { overwrite });
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    },
  };
}

/**
 * Loads a TensorFlow.js Layers model from `model.json` (or its folder) and its shards.
 * @example const keras = await loadLayersModel('models/keras-backbone');
 * @throws {InputError} naming the file when it is not a Layers model, a shard is missing,
 *   outside the folder or of the wrong size.
 */
export async function loadLayersModel(path: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(layersModelFiles(path));
}

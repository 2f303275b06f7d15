/**
 * A {@link WindowPredictor} from a {@link DictModel}: the windows go in at the model's input key
 * (its first input unless named), the model runs in inference mode, and the output key's tensor
 * comes back.
 */
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { createSample, getKey, setKey } from '../../core/sample.js';
import { isTensor, type Tensor } from '../../core/tensor.js';
import type { DictModel } from '../models/dict-model.js';
import type { WindowPredictor } from './sliding-window.js';

/** Options of {@link dictModelPredictor}. */
export interface DictModelPredictorOptions {
  /** Batch key the windows are given at. Default: the model's first input key. */
  readonly input?: string;
  /** Model output key read back (e.g. `'model.output.seg'`, softmax scores). Default: the model's first `model.output.*` key, else its first output. */
  readonly output?: string;
}

/**
 * Wraps a model as a window predictor.
 * @example slidingWindow(img, dictModelPredictor(model, { output: 'model.output.brain' }), { roi: [64, 64, 64] })
 * @throws {OptionsError} when `input` or `output` is not one of the model's keys.
 */
export function dictModelPredictor(model: DictModel, options: DictModelPredictorOptions = {}): WindowPredictor {
  const inputs = model.binding.inputs.map((i) => i.key);
  const outputs = model.binding.outputs;
  const input = options.input ?? inputs[0];
  if (input === undefined || !inputs.includes(input)) throw new OptionsError(`dictModelPredictor: input '${String(input)}' is not a model input (${inputs.join(', ')})`);
  const output = options.output ?? outputs.find((k) => k.startsWith('model.output.')) ?? outputs[0];
  if (output === undefined || !outputs.includes(output)) throw new OptionsError(`dictModelPredictor: output '${String(output)}' is not a model output (${outputs.join(', ')})`);
  return async (windows) => {
    const batch = setKey(createSample('windows'), input, windows);
    const out = getKey(await model.predict(batch, { phase: 'sliding window' }), output);
    if (!isTensor(out) || out.dtype !== 'float32') throw new TypeMismatchError(`dictModelPredictor: output '${output}' is not a float32 tensor`);
    return out as Tensor<'float32'>;
  };
}

/**
 * The spatial window size ((x, y, z) order) a model's input takes: its per-sample shape without
 * the trailing channel axis, reversed; undefined unless that leaves 2 or 3 positive sizes.
 */
export function modelWindow(model: DictModel, input?: string): number[] | undefined {
  const spec = input === undefined ? model.binding.inputs[0] : model.binding.inputs.find((i) => i.key === input);
  if (spec === undefined) return undefined;
  const spatial = spec.shape.slice(0, -1);
  if (spatial.length < 2 || spatial.length > 3 || !spatial.every((s) => Number.isInteger(s) && s > 0)) return undefined;
  return [...spatial].reverse();
}

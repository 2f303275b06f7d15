/**
 * Whole-volume prediction back on the input's grid: the sample goes through the static
 * pipeline (load, reorient, resample, crop/pad, intensity …), the model runs over the processed
 * image by {@link slidingWindow}, and the scores go back through the pipeline's reversible ops
 * ({@link reversePipeline}, last op first, following the image's key) onto the grid the image
 * was loaded on: the size, spacing, origin and direction of the file. Scores are float32 and
 * come back with linear interpolation (resample's reverse for float images); labels are the
 * argmax of the scores after they came back ({@link toLabels}), so a label boundary is placed
 * at the resolution of the input, not of the model. Voxels a crop removed come back as score 0
 * (label 0).
 */
import { TypeMismatchError } from '../../core/errors.js';
import { isImage, type Image } from '../../core/image.js';
import { getKey, sampleIdOf, setKey, type Sample } from '../../core/sample.js';
import { reversePipeline, runPipeline, type Pipeline } from '../../ops/pipeline.js';
import { slidingWindow, type SlidingWindowOptions, type WindowPredictor } from './sliding-window.js';
import { toLabels, type ToLabelsOptions } from './to-labels.js';

/** Options of {@link predictVolume}. */
export interface PredictVolumeOptions {
  /** The static pipeline: deterministic ops, the image at `imageKey` afterwards. Its reversible ops are undone. Required. */
  readonly pipeline: Pipeline;
  /** Key of the image the model reads after the pipeline (and whose processing is reversed). Required. */
  readonly imageKey: string;
  /** The model over batches of windows. Required. */
  readonly predictor: WindowPredictor;
  /** Window size, overlap, blend, batch size, progress. Required. */
  readonly window: SlidingWindowOptions;
  /** `'probabilities'` (float32 scores, one component per class) or `'labels'` (argmax). Default `'labels'`. */
  readonly output?: 'probabilities' | 'labels';
  /** Threshold of a one-channel model's labels. Default 0.5. */
  readonly labels?: ToLabelsOptions;
  /** Key the prediction is held at while the pipeline is reversed. Default `'model.output.volume'`. */
  readonly predictionKey?: string;
  /** Run seed given to the pipeline (static ops ignore it). Default 0. */
  readonly seed?: number;
}

/** What {@link predictVolume} returns. */
export interface VolumePrediction {
  /** Scores or labels on the input image's grid. */
  readonly prediction: Image;
  /** The image the model saw (after the static pipeline), for checks and reports. */
  readonly processed: Image;
}

/**
 * Predicts one volume and maps the result back onto the input's grid.
 * @example const { prediction } = await predictVolume(setKey(createSample('case1'), 'data.input.img', 'case1.nii.gz'), { pipeline: p, imageKey: 'data.input.img', predictor, window: { roi: [64, 64, 64], overlap: 0.5 } });
 * @throws {OpError} when a pipeline op fails or its reverse fails (naming op and sample).
 * @throws {TypeMismatchError} when the pipeline drops the sample or splits it, or leaves no image at `imageKey`.
 */
export async function predictVolume(sample: Sample, options: PredictVolumeOptions): Promise<VolumePrediction> {
  const out = await runPipeline(options.pipeline, sample, { seed: options.seed ?? 0, epoch: 0 });
  const id = sampleIdOf(sample);
  if (out.length !== 1) {
    throw new TypeMismatchError(
      `predictVolume: the static pipeline gave ${out.length} samples for '${id}'; it must give one volume (run extractPatches after the prediction, or stitch patch outputs with stitchPatches)`,
    );
  }
  const processedSample = out[0] as Sample;
  const processed = getKey(processedSample, options.imageKey);
  if (!isImage(processed)) throw new TypeMismatchError(`predictVolume: key '${options.imageKey}' of sample '${id}' holds no image after the static pipeline`);
  const scores = await slidingWindow(processed, options.predictor, options.window);
  const key = options.predictionKey ?? 'model.output.volume';
  const reversed = reversePipeline(options.pipeline, setKey(processedSample, key, scores), { keyToReverse: key, keyToFollow: options.imageKey });
  const back = getKey(reversed, key);
  if (!isImage(back)) throw new TypeMismatchError(`predictVolume: the reversed prediction of '${id}' is not an image`);
  const prediction = (options.output ?? 'labels') === 'labels' ? toLabels(back, options.labels) : back;
  return { prediction, processed };
}

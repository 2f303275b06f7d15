/**
 * Imaging: reading and writing (itk-wasm, off the event loop), the load op, spatial ops
 * (reorient, resample, crop/pad, crop to mask, patches, slices), intensity ops (clip, window,
 * z-score, min-max, per-label normalization) and random 2D/3D augmentation
 * (flip, rotate 90, affine, elastic, noise, blur, gamma, intensity scale/shift, crop).
 * Importing this module registers every op, so workers can rebuild pipelines from specs.
 */
export { loadImage, type LoadImageOptions } from './load-image.js';
export {
  readImage,
  writeImage,
  readImageLocal,
  writeImageLocal,
  configureIoPool,
  closeIoPool,
  readDicomTags,
  dicomKeywords,
  type DicomTagValue,
  type DicomTags,
  type ReadImageOptions,
  type WriteImageOptions,
  type IoPoolOptions,
} from './io/index.js';
export { reorient, orientationMap, type ReorientOptions, type Orientation } from './reorient.js';
export { resample, resampledGrid, resampleOnto, type ResampleOptions } from './resample.js';
export { cropOrPad, type CropOrPadOptions, type RegionEntry } from './crop-or-pad.js';
export { cropToMask, foregroundBox, type CropToMaskOptions } from './crop-to-mask.js';
export { extractPatches, patchStarts, type ExtractPatchesOptions, type PatchRecord } from './extract-patches.js';
export { extractSlices, type ExtractSlicesOptions, type SliceRecord } from './extract-slices.js';
export { clipIntensity, type ClipIntensityOptions } from './clip-intensity.js';
export { windowIntensity, type WindowIntensityOptions } from './window-intensity.js';
export { zScoreIntensity, type ZScoreIntensityOptions } from './z-score-intensity.js';
export { minMaxIntensity, type MinMaxIntensityOptions } from './min-max-intensity.js';
export { normalizeIntensityPerMask, type NormalizeIntensityPerMaskOptions } from './normalize-intensity-per-mask.js';
export { randFlip, type RandFlipOptions } from './rand-flip.js';
export { randRotate90, type RandRotate90Options } from './rand-rotate90.js';
export { randAffine, type RandAffineOptions, type AffineEntry } from './rand-affine.js';
export { randElastic, type RandElasticOptions } from './rand-elastic.js';
export { randGaussianNoise, type RandGaussianNoiseOptions } from './rand-gaussian-noise.js';
export { randGaussianBlur, type RandGaussianBlurOptions } from './rand-gaussian-blur.js';
export { randGamma, type RandGammaOptions } from './rand-gamma.js';
export { randScaleIntensity, type RandScaleIntensityOptions } from './rand-scale-intensity.js';
export { randShiftIntensity, type RandShiftIntensityOptions } from './rand-shift-intensity.js';
export { randCrop, type RandCropOptions } from './rand-crop.js';
export { threshold, type ThresholdOptions } from './threshold.js';
export type { Interpolation, PerAxis } from './internal/options.js';
export type { Padding } from './internal/sampler.js';
export type { GridRecord } from './internal/image-access.js';
export type { ReverseRecord } from './internal/reverse-info.js';

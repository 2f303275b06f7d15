/**
 * Which weights train: freezing and unfreezing layers by name or name prefix (Keras's
 * `layer.trainable = false`, PyTorch's `requires_grad_(False)`), and parameter groups that give
 * the layers they select their own factor on the learning rate (PyTorch's optimizer param groups).
 *
 * A selector is a layer name (`'block1_conv'`) or a prefix ending in `*` (`'block1_*'`, `'*'` for
 * every layer). Layers are matched inside nested models too (a backbone loaded with
 * `loadLayersModel` and applied as one layer): selecting a nested model selects all its layers.
 * Only leaf layers' flags are changed, and the flag is part of the network's topology, so a
 * checkpoint keeps it and a resumed run with other frozen layers is refused (the model differs).
 * A frozen layer's weights are not handed to the optimizer, so training leaves them bit-unchanged;
 * a frozen batch-norm layer also normalises with its moving statistics and leaves them as they are
 * (Keras's semantics for `trainable = false` batch norm), see {@link frozenBatchNormInference}.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type { DictModel } from './dict-model.js';

type Layer = tf.LayersModel['layers'][number];
/** tfjs-layers' weight wrapper (its `val` is the tf.Variable; not in the public typings, stable across 4.x). */
type LayerVariable = tf.LayersModel['weights'][number];

/** A leaf layer and the nested models it sits in (outermost first). */
interface Leaf {
  readonly layer: Layer;
  readonly parents: readonly tf.LayersModel[];
}

/** Every leaf layer of `net`, nested models walked in layer order. */
function leaves(net: tf.LayersModel, parents: readonly tf.LayersModel[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const layer of net.layers) {
    if (layer instanceof tf.LayersModel) out.push(...leaves(layer, [...parents, layer]));
    else out.push({ layer, parents });
  }
  return out;
}

function matches(selector: string, name: string): boolean {
  return selector.endsWith('*') ? name.startsWith(selector.slice(0, -1)) : name === selector;
}

/**
 * The leaf layers `selectors` pick: a leaf is picked when a selector matches its name or the name
 * of a nested model holding it.
 * @example selectLayers(model, ['block1_*']).map((l) => l.name); // ['block1_conv', 'block1_bn']
 * @throws {OptionsError} naming a selector that matches no layer (and some layer names), or an empty list.
 */
export function selectLayers(model: DictModel | tf.LayersModel, selectors: readonly string[], what = 'layers'): Layer[] {
  const net = 'net' in model ? model.net : model;
  if (selectors.length === 0) throw new OptionsError(`${what}: give at least one layer name or prefix ('name' or 'prefix*')`);
  const all = leaves(net);
  const picked = new Set<Layer>();
  for (const s of selectors) {
    if (typeof s !== 'string' || s === '') throw new OptionsError(`${what}: a selector must be a layer name or 'prefix*', got ${JSON.stringify(s)}`);
    const hit = all.filter((l) => matches(s, l.layer.name) || l.parents.some((p) => matches(s, p.name)));
    if (hit.length === 0) {
      const names = [...new Set(all.flatMap((l) => [...l.parents.map((p) => p.name), l.layer.name]))];
      throw new OptionsError(
        `${what}: '${s}' matches no layer of '${net.name}' (layers: ${names.slice(0, 30).join(', ')}${names.length > 30 ? `, … ${names.length - 30} more` : ''})`,
      );
    }
    for (const l of hit) picked.add(l.layer);
  }
  return all.map((l) => l.layer).filter((l) => picked.has(l));
}

/**
 * Freezes the selected layers: their weights leave `trainableVariables()` and are not updated.
 * Call before `fit` (which takes the trainable variables once).
 * @returns the names of the layers frozen.
 * @example freeze(model, ['kbackbone']); // every layer of the loaded backbone
 * @throws {OptionsError} as {@link selectLayers}.
 */
export function freeze(model: DictModel | tf.LayersModel, selectors: readonly string[]): string[] {
  const picked = selectLayers(model, selectors, 'freeze');
  for (const layer of picked) layer.trainable = false;
  return picked.map((l) => l.name);
}

/**
 * Unfreezes the selected layers (and makes the nested models holding them trainable, keeping
 * their other layers' flags).
 * @returns the names of the layers unfrozen.
 * @example unfreeze(model, ['block5_*']); // fine-tune the last block only
 * @throws {OptionsError} as {@link selectLayers}.
 */
export function unfreeze(model: DictModel | tf.LayersModel, selectors: readonly string[]): string[] {
  const net = 'net' in model ? model.net : model;
  const picked = new Set(selectLayers(model, selectors, 'unfreeze'));
  const all = leaves(net);
  for (const leaf of all) {
    if (!picked.has(leaf.layer)) continue;
    for (const parent of leaf.parents) {
      if (parent.trainable) continue;
      // A container's setter sets all its layers' weights; keep the siblings' own flags.
      const inside = all.filter((l) => l.parents.includes(parent)).map((l) => [l.layer, l.layer.trainable] as const);
      parent.trainable = true;
      for (const [layer, flag] of inside) layer.trainable = flag;
    }
    leaf.layer.trainable = true;
  }
  return [...picked].map((l) => l.name);
}

/**
 * For each of `net.weights`: whether it is a state weight (batch-norm moving statistics: never
 * trainable), as opposed to a learnable weight, frozen or not. Data-parallel replicas copy state
 * weights back; frozen learnable weights stay as they are.
 */
export function stateWeightFlags(net: tf.LayersModel): boolean[] {
  const learnable = new Set<LayerVariable>();
  for (const { layer } of leaves(net)) {
    for (const w of (layer as unknown as { _trainableWeights: LayerVariable[] })._trainableWeights) learnable.add(w);
  }
  return net.weights.map((w) => !learnable.has(w));
}

/** A parameter group: the layers it selects get `lrScale` times the scheduled learning rate. */
export interface ParamGroup {
  /** Layer names or prefixes (`'prefix*'`), as {@link selectLayers}. Required. */
  readonly layers: readonly string[];
  /** Factor on the learning rate (≥ 0; 0 trains nothing but keeps optimizer state moving). Required. */
  readonly lrScale: number;
}

/**
 * The learning-rate factor of each of `variables` (the model's trainable variables, in order):
 * the first group selecting a variable's layer sets it, others get 1.
 * @example paramGroupScales(model, model.trainableVariables(), [{ layers: ['kbackbone'], lrScale: 0.1 }]);
 * @throws {OptionsError} for a bad factor, a selector matching no layer, or a group whose layers are all frozen.
 */
export function paramGroupScales(model: DictModel, variables: readonly tf.Variable[], groups: readonly ParamGroup[]): number[] {
  const owner = new Map<tf.Variable, Layer>();
  for (const { layer } of leaves(model.net)) {
    for (const w of layer.trainableWeights) owner.set((w as unknown as { val: tf.Variable }).val, layer);
  }
  const scales = variables.map(() => 1);
  const set = variables.map(() => false);
  groups.forEach((g, gi) => {
    if (typeof g.lrScale !== 'number' || !(g.lrScale >= 0) || !Number.isFinite(g.lrScale)) {
      throw new OptionsError(`fit: paramGroups[${gi}].lrScale must be a finite number ≥ 0, got ${String(g.lrScale)}`);
    }
    const layers = new Set(selectLayers(model, g.layers, `fit: paramGroups[${gi}]`));
    let any = false;
    variables.forEach((v, i) => {
      const layer = owner.get(v);
      if (layer === undefined || !layers.has(layer)) return;
      any = true;
      if (set[i] === true) return;
      set[i] = true;
      scales[i] = g.lrScale;
    });
    if (!any) throw new OptionsError(`fit: paramGroups[${gi}] (${g.layers.join(', ')}) selects no trainable weight (are its layers frozen?)`);
  });
  return scales;
}

const PATCHED = Symbol('fuseflow.frozenBatchNorm');
const BATCH_NORMS = new Set(['BatchNormalization', 'FuseflowBatchNorm']);

/**
 * Makes every batch-norm layer of `net` (nested models included) run in inference mode while it
 * is frozen: in training it then normalises with its moving statistics and does not update them,
 * so a frozen pretrained backbone stays exactly as loaded (Keras ≥ 2.1's rule). Trainable layers
 * are unaffected. Installed once per layer; `dictModel` calls it for every network it wraps (so
 * models rebuilt from checkpoints and data-parallel replicas behave the same).
 * @example frozenBatchNormInference(net);
 */
export function frozenBatchNormInference(net: tf.LayersModel): void {
  for (const { layer } of leaves(net)) {
    if (!BATCH_NORMS.has(layer.getClassName())) continue;
    const target = layer as unknown as Record<symbol, boolean> & { call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown };
    if (target[PATCHED] === true) continue;
    const call = target.call.bind(layer);
    target.call = (inputs, kwargs) => call(inputs, layer.trainable ? kwargs : { ...kwargs, training: false });
    target[PATCHED] = true;
  }
}

/**
 * What the main thread and a replica worker exchange. Bulk data never travels in messages:
 * weights and gradients live in SharedArrayBuffers laid out by {@link WeightLayout}; messages carry
 * the batch slice, the step number and the loss values.
 */
import type { Sample } from '../../core/sample.js';
import type { DictModelBinding } from '../models/dict-model.js';
import type { LossSpec } from '../losses/loss.js';
import type { BackendName } from '../backend.js';

/** Where each weight sits in a flat float32 buffer: offsets and sizes in elements, in order. */
export interface WeightLayout {
  /** Every weight of the network (`net.weights` order): trainable and state (batch-norm statistics). */
  readonly weights: readonly { readonly offset: number; readonly size: number; readonly trainable: boolean }[];
  /** Total elements of the weight buffer. */
  readonly weightFloats: number;
  /** The gradient of each trainable variable (`trainableVariables()` order). */
  readonly grads: readonly { readonly offset: number; readonly size: number }[];
  /** Elements of one replica's region in the gradient buffer: its gradients, then its state weights. */
  readonly regionFloats: number;
  /** Elements of the gradients part of a region (the state weights follow them). */
  readonly gradFloats: number;
}

/** `workerData` of a replica. */
export interface ReplicaInit {
  readonly index: number;
  readonly backend: BackendName;
  /** The network's topology JSON (`net.toJSON(undefined, false)`). */
  readonly topology: unknown;
  readonly binding: DictModelBinding;
  readonly losses: readonly LossSpec[];
  readonly layout: WeightLayout;
  /** Shared weights, written by the main thread before each step. */
  readonly weights: SharedArrayBuffer;
  /** Shared gradient regions, one per replica. */
  readonly grads: SharedArrayBuffer;
}

/** Main → replica: compute the gradients of this slice. */
export interface ReplicaStep {
  readonly batch: Sample;
  /** Rows of the slice / rows of the global batch: the factor on the slice's mean loss. */
  readonly scale: number;
  readonly step: number;
}

/** Replica → main. */
export type ReplicaReply =
  | { readonly kind: 'ready' }
  /** `ms`: the replica's time on the step (weights in, forward, backward, gradients out). */
  | { readonly kind: 'done'; readonly total: number; readonly terms: readonly number[]; readonly ms: number }
  | { readonly kind: 'error'; readonly message: string };

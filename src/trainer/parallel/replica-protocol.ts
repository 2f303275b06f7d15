/**
 * What the main thread and a replica worker exchange. Bulk data never travels in messages:
 * weights and gradients live in the pool's shared memory ({@link PoolMemory}) laid out by
 * {@link WeightLayout}; messages carry the batch slice, the step number and the loss values.
 */
import type { Sample } from '../../core/sample.js';
import type { DictModelBinding } from '../models/dict-model.js';
import type { LossSpec } from '../losses/loss.js';
import type { BackendName } from '../backend.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import type { SharedWasmMemory } from './wasm-api.js';

/**
 * The pool's shared memory (`pool-memory.ts`): byte offsets in `memory`, multiples of 16.
 */
export interface PoolMemory {
  readonly memory: SharedWasmMemory;
  /** The weights (`WeightLayout.weightFloats`). */
  readonly weightsAt: number;
  /** Participant `k`'s gradient region at `regionsAt + k·regionBytes`. */
  readonly regionsAt: number;
  readonly regionBytes: number;
  /** Where slots placed in this memory begin (after the regions). */
  readonly slotsAt: number;
}

/** Where each weight sits in a flat float32 buffer: offsets and sizes in elements, in order. */
export interface WeightLayout {
  /** Every weight of the network (`net.weights` order): trainable and state (batch-norm statistics). */
  readonly weights: readonly { readonly offset: number; readonly size: number; readonly trainable: boolean }[];
  /** Total elements of the weight buffer. */
  readonly weightFloats: number;
  /** The gradient of each trainable variable (`trainableVariables()` order) and where the variable sits in the weight buffer. */
  readonly grads: readonly { readonly offset: number; readonly size: number; readonly weightOffset: number }[];
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
  /** The shared weights (written by the main thread before a step that reloads) and gradient regions. */
  readonly memory: PoolMemory;
  /** Present when the replicas apply the optimizer update themselves (the sharded update). */
  readonly update?: ShardedUpdateInit;
}

/**
 * The sharded update: participant `k` of `n` (0: the main thread) sums the gradient regions (slice 0 + 1 + …) over its
 * part `[floor(k·F/n), floor((k+1)·F/n))` of the region's `F` elements and applies the optimizer
 * to those weights (or, for the state part, writes the row-weighted statistics), in shared memory.
 */
export interface ShardedUpdateInit {
  readonly threads: number;
  readonly config: OptimizerConfig;
  /** Learning-rate factor per trainable variable, or null (exactly `lr`). */
  readonly lrScales: readonly number[] | null;
  /** The optimizer's slots (see `SharedOptimizer`): `slotFloats` elements of `slots` from byte `slotsOffset`. */
  readonly slots: SharedArrayBuffer;
  readonly slotsOffset: number;
  readonly slotFloats: number;
  /** True when the slots lie in the pool's memory: each participant runs the SIMD Adam (`adam-simd.ts`). */
  readonly simd: boolean;
  /** Clip the summed gradients to this global L2 norm. */
  readonly clipNorm: number | null;
  /** Int32 control words: see `CONTROL` in replica-protocol. */
  readonly control: SharedArrayBuffer;
  /** Float64 per replica: its slice's total loss (scaled), then its part of the squared gradient norm. */
  readonly scratch: SharedArrayBuffer;
}

/** Indices of the Int32 control words of the sharded update. */
export const CONTROL = {
  /** Barrier arrivals (counting up, wrapping at int32; barrier b of every replica completes at (b+1)·threads). */
  arrive: 0,
  /** Set by the main thread when a replica died: waiting replicas give up. */
  abort: 1,
  /** Set by a replica whose slice failed this step: no replica updates. */
  failed: 2,
  /** Updates finished (each replica adds 1 after its part; the main thread reads it). */
  done: 3,
  words: 4,
} as const;
/** Main → replica: compute the gradients of this slice. */
export interface ReplicaStep {
  readonly batch: Sample;
  /** Rows of the slice / rows of the global batch: the factor on the slice's mean loss. */
  readonly scale: number;
  readonly step: number;
  /** Sharded update: see {@link ShardedStepUpdate}. */
  readonly update?: ShardedStepUpdate;
}

/**
 * A sharded step's update: the learning rate, the optimizer's step after this update (bias
 * correction), each slice's row share, and `reload`: the main thread wrote the shared weights
 * (first sharded step, or after a step whose update it made): replicas load them instead of the
 * ones they loaded after the previous sharded step.
 */
export interface ShardedStepUpdate {
  readonly lr: number;
  readonly optStep: number;
  readonly shares: readonly number[];
  readonly reload: boolean;
}

/** Main → replica (sharded update) when the batch has fewer rows than replicas: no slice, but its part of the update. */
export interface ReplicaIdle {
  readonly batch: null;
  readonly scale: 0;
  readonly step: number;
  readonly update: ShardedStepUpdate;
}

/** A replica's time on one step in ms, by phase. */
export interface ReplicaPhases {
  /** Shared weights into its tfjs variables. */
  readonly load: number;
  /** Forward, losses, backward, gradients into its region. */
  readonly compute: number;
  /** Waiting at barriers for the other replicas. */
  readonly wait: number;
  /** Its part of the sum and the optimizer update. */
  readonly update: number;
  /**
   * This thread's CPU time on the whole step (Linux: `/proc/thread-self/schedstat`; NaN where
   * that cannot be read). Unlike the wall times above it leaves out time the thread waited for
   * a core, so it still says what a step costs on a machine that other programs share.
   */
  readonly cpu: number;
}

/** Replica → main. */
export type ReplicaReply =
  | { readonly kind: 'ready' }
  /** `ms`: the replica's time on the step (weights in, forward, backward, gradients out). */
  | { readonly kind: 'done'; readonly total: number; readonly terms: readonly number[]; readonly ms: number; readonly phases: ReplicaPhases; readonly applied: boolean }
  | { readonly kind: 'error'; readonly message: string };

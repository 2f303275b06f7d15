/**
 * Rebuilds a built-in loss from its {@link LossSpec} (on a replica worker, which cannot receive
 * the loss's closure). Hand-written losses have no spec and cannot be rebuilt.
 */
import { OptionsError } from '../../core/errors.js';
import { binaryCrossEntropy } from '../losses/binary-cross-entropy.js';
import { crossEntropy } from '../losses/cross-entropy.js';
import { dice } from '../losses/dice.js';
import { focal } from '../losses/focal.js';
import type { Loss, LossSpec } from '../losses/loss.js';
import { mse } from '../losses/mse.js';

/**
 * The loss `spec` describes, built again.
 * @example lossFromSpec(crossEntropy({ pred: 'model.logits.cls', target: 'data.label' }).spec)
 * @throws {OptionsError} for a kind that is not a built-in loss.
 */
export function lossFromSpec(spec: LossSpec): Loss {
  switch (spec.kind) {
    case 'crossEntropy':
      return crossEntropy(spec.options);
    case 'binaryCrossEntropy':
      return binaryCrossEntropy(spec.options);
    case 'dice':
      return dice(spec.options);
    case 'focal':
      return focal(spec.options);
    case 'mse':
      return mse(spec.options);
    default:
      throw new OptionsError(`loss kind '${spec.kind}' cannot be rebuilt on a worker thread`);
  }
}

/**
 * The specs of `losses`, for replicas.
 * @throws {OptionsError} naming a loss without a spec (hand-written), with the way out (`threads: 1`).
 */
export function lossSpecs(losses: readonly Loss[]): LossSpec[] {
  return losses.map((l) => {
    if (l.spec === undefined) {
      throw new OptionsError(`fit: loss '${l.name}' is hand-written (no spec), so it cannot run on replica threads; use a built-in loss or threads: 1`);
    }
    return l.spec;
  });
}

/**
 * Merges segment states in segment order, whatever order they arrive in: a state that arrives
 * early waits until every segment before it is merged. With at most one segment in progress per
 * thread, at most about `threads` states wait.
 */
import type { Folder } from './segment-fold.js';

/** Merges per-folder states of segments 0, 1, 2, … in that order. */
export class SegmentMerger {
  readonly #folders: readonly Folder[];
  readonly #waiting = new Map<number, readonly unknown[]>();
  #next = 0;
  #merged: unknown[] | null = null;

  constructor(folders: readonly Folder[]) {
    this.#folders = folders;
  }

  /** Segments merged so far. */
  get merged(): number {
    return this.#next;
  }

  /** Adds segment `segment`'s states; merges it and any waiting successors when it is next. */
  add(segment: number, states: readonly unknown[]): void {
    this.#waiting.set(segment, states);
    for (let s = this.#waiting.get(this.#next); s !== undefined; s = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      const acc = this.#merged;
      this.#merged = acc === null ? [...s] : acc.map((a, k) => (this.#folders[k] as Folder).merge(a, s[k]));
      this.#next++;
    }
  }

  /** The merged states (fresh ones when no segment came); throws if a segment is missing. */
  result(segments: number): unknown[] {
    if (this.#next !== segments || this.#waiting.size > 0) throw new Error(`segment merger: merged ${this.#next} of ${segments} segments`);
    return this.#merged ?? this.#folders.map((f) => f.init());
  }
}

/**
 * The calling thread's CPU time in ms (Linux: the first field of `/proc/thread-self/schedstat`,
 * nanoseconds on a core), or NaN where that file cannot be read. A diagnostic for data-parallel
 * steps: wall times on a shared machine include waiting for a core, CPU times do not. The kernel
 * brings a running thread's figure up to date only at a scheduler tick or switch, so a reading
 * lags by up to a tick (1–4 ms measured here): sum or average over many consecutive steps rather
 * than taking one step's value or a median.
 */
import { readFileSync } from 'node:fs';

let readable = true;

/**
 * @example
 * const c0 = threadCpuMs(); work(); const cpuMs = threadCpuMs() - c0;
 */
export function threadCpuMs(): number {
  if (!readable) return Number.NaN;
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : Number.NaN;
  } catch {
    readable = false;
    return Number.NaN;
  }
}

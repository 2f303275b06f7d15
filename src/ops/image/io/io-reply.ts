/**
 * Replies from the image IO worker. Errors travel as plain values (class, message, file) and are
 * rebuilt as the same fuseflow error class on the calling thread: structured cloning would turn
 * an `InputError` into a plain `Error`.
 */
import { FuseflowError, InputError, OptionsError } from '../../../core/errors.js';

/** A worker's answer: the value, or the error as data. */
export type IoReply<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly name: string; readonly message: string; readonly file?: string } };

/** The error as a reply. */
export function replyError(err: unknown): IoReply<never> {
  if (err instanceof InputError && err.file !== undefined) {
    const prefix = `${err.file}: `;
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { ok: false, error: { name: 'InputError', message, file: err.file } };
  }
  const name = err instanceof Error ? err.name : 'Error';
  return { ok: false, error: { name, message: err instanceof Error ? err.message : String(err) } };
}

/** The value of a reply, or its error rethrown as the original class. */
export function unwrapReply<T>(reply: IoReply<T>): T {
  if (reply.ok) return reply.value;
  const { name, message, file } = reply.error;
  if (name === 'InputError') throw new InputError(message, file === undefined ? {} : { file });
  if (name === 'OptionsError') throw new OptionsError(message);
  throw new FuseflowError(message);
}

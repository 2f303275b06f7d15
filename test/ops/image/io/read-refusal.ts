/**
 * Test helper: the refusal of `readImage` on a bad input, checked to be an InputError naming the
 * path it was given.
 */
import { expect } from 'vitest';
import { InputError } from '../../../../src/core/errors.js';
import { readImage } from '../../../../src/ops/image/io/read-image.js';

/** Reads `path` (a file or a DICOM folder) expecting an InputError whose `file` is `path`; returns the error. */
export async function readRefusal(path: string): Promise<InputError> {
  const err = await readImage(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).file).toBe(path);
  return err as InputError;
}

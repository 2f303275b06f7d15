/**
 * Child process for tests that read possibly damaged cache folders, where a crash of native code
 * (LMDB mapping a bad file) must be observed from outside rather than take the test runner down.
 * For each folder: open it, read every id, take its status and verify it, print one JSON line —
 * `{ ok: per id, the fingerprint of its outputs or null when not cached }` or `{ error: class
 * name, message }` — then exit 0. A signal or another exit code is a crash.
 * Usage: node --import tsx test/cache/read-child.ts IDS_JSON FOLDER...
 */
import { openCacheFolder } from '../../src/cache/index.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import type { Sample } from '../../src/core/sample.js';

/** One folder's outcome. */
export type ReadOutcome = { readonly folder: string; readonly ok: readonly (string | null)[] } | { readonly folder: string; readonly error: string; readonly message: string };

/** Opens `folder` and reads every id; the outputs' fingerprint, or the error. */
export async function readAll(folder: string, ids: readonly string[]): Promise<ReadOutcome> {
  try {
    const cache = await openCacheFolder(folder);
    try {
      const all: (string | null)[] = [];
      for (const id of ids) {
        const got: readonly Sample[] | undefined = await cache.get(id);
        all.push(got === undefined ? null : fingerprint(got));
      }
      cache.status();
      await cache.verify();
      return { folder, ok: all };
    } finally {
      await cache.close();
    }
  } catch (err) {
    return { folder, error: err instanceof Error ? err.constructor.name : typeof err, message: err instanceof Error ? err.message : String(err) };
  }
}

const [idsJson, ...folders] = process.argv.slice(2);
if (idsJson !== undefined && process.argv[1]?.endsWith('read-child.ts') === true) {
  const ids = JSON.parse(idsJson) as string[];
  for (const folder of folders) console.log(JSON.stringify(await readAll(folder, ids)));
}

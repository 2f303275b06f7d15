/**
 * `fuseflow cache status|verify|delete DIR`: inspect, check or remove static caches. DIR is a
 * cache folder (`<root>/<cacheKey>`, holding `pipeline.json` and `cache.mdb`) or a root holding
 * several; `delete` takes a single cache folder only.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openCacheFolder, readDescription } from '../../cache/open-cache.js';
import { CACHE_FILES } from '../../cache/sample-cache.js';
import { FuseflowError } from '../../core/errors.js';

const HELP = `usage: fuseflow cache <status|verify|delete> DIR [options]

  status DIR             entries, outputs, dropped samples, payload size and ops of each cache
  verify DIR             check every payload against its commit fingerprint
         --recompute     also rerun the static pipeline per sample and name the op that changed
  delete DIR --yes       remove one cache folder (DIR must be a cache folder, not a root)

DIR is a cache folder (<root>/<key>) or a root that holds cache folders.
exit codes: 0 ok, 1 problems found or bad input, 2 usage`;

function isCacheFolder(dir: string): boolean {
  return existsSync(join(dir, CACHE_FILES.pipeline)) && existsSync(join(dir, CACHE_FILES.store));
}

/** The cache folders at or directly under `dir`. */
function cacheFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FuseflowError(`${dir}: no such folder`);
  if (isCacheFolder(dir)) return [dir];
  const found = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((p) => statSync(p).isDirectory() && isCacheFolder(p))
    .sort();
  if (found.length === 0) throw new FuseflowError(`${dir}: not a fuseflow cache folder and holds none`);
  return found;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

async function status(dir: string): Promise<number> {
  for (const folder of cacheFolders(dir)) {
    const desc = readDescription(folder);
    const cache = await openCacheFolder(folder);
    try {
      const s = cache.status();
      console.log(`${folder}
  key        ${s.key}
  salt       ${JSON.stringify(desc.salt)}
  created    ${desc.createdAt}
  ops        ${desc.spec.ops.map((o) => `${o.name}@${o.version}`).join(' → ')}
  entries    ${s.entries} initial ids (${s.dropped} dropped)
  outputs    ${s.outputs} samples, ${mib(s.payloadBytes)} of payload
  manifest   ${existsSync(join(folder, CACHE_FILES.manifest)) ? CACHE_FILES.manifest : 'absent (written when a fill ends)'}`);
    } finally {
      await cache.close();
    }
  }
  return 0;
}

async function verify(dir: string, recompute: boolean): Promise<number> {
  let bad = 0;
  for (const folder of cacheFolders(dir)) {
    const cache = await openCacheFolder(folder);
    try {
      let n = 0;
      const problems = await cache.verify({ recompute, onEntry: () => void n++ });
      for (const p of problems) console.log(`${p.kind}\t${JSON.stringify(p.initialId)}\t${p.message}`);
      console.log(`${folder}: ${n} entries checked${recompute ? ' (recomputed)' : ''}, ${problems.length} problem(s)`);
      bad += problems.length;
    } finally {
      await cache.close();
    }
  }
  return bad === 0 ? 0 : 1;
}

function remove(dir: string, yes: boolean): number {
  if (!isCacheFolder(dir)) throw new FuseflowError(`${dir}: not a cache folder (pass <root>/<key>; see fuseflow cache status ROOT)`);
  if (!yes) {
    console.error(`fuseflow cache delete: pass --yes to remove ${dir}`);
    return 2;
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`deleted ${dir}`);
  return 0;
}

/** Entry point of `fuseflow cache`. */
export async function run(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const [dir, ...extra] = rest.filter((a) => !a.startsWith('--'));
  if (sub === undefined || sub === '--help' || sub === '-h' || flags.has('--help')) {
    console.log(HELP);
    return sub === undefined ? 2 : 0;
  }
  const known: Record<string, readonly string[]> = { status: [], verify: ['--recompute'], delete: ['--yes'] };
  const allowed = known[sub];
  if (allowed === undefined || dir === undefined || extra.length > 0 || [...flags].some((f) => !allowed.includes(f))) {
    console.error(HELP);
    return 2;
  }
  if (sub === 'status') return status(dir);
  if (sub === 'verify') return verify(dir, flags.has('--recompute'));
  return remove(dir, flags.has('--yes'));
}

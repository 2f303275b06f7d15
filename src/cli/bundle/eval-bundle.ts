/**
 * The bundled start of `fuseflow eval` and `fuseflow eval merge`: the eval command and everything
 * it imports (apache-arrow and simple-statistics included) as a few ES module files in
 * `dist/eval-bundle/`, built by `npm run build` / `npm ci` (build-eval-bundle.ts). Node loads a
 * handful of files instead of ~270 modules, which cuts a process start from ~0.25 s to ~0.1 s; a
 * map/merge run over N shards pays N + 1 starts.
 *
 * The bundle is used only when its manifest says it was built by this Node version from exactly
 * the files now in `dist/` and `node_modules/` (each bundled module of dist/ and each bundled
 * package's package.json: size, then content hash when the modification time moved); anything else — no bundle, another Node, a rebuilt `dist/` whose content changed, an
 * unreadable manifest, `FUSEFLOW_EVAL_BUNDLE=0` — falls back to the normal module-by-module start without a word (set
 * `FUSEFLOW_DEBUG_START=1` to see which start a run took and why). A current bundle starts from
 * its classic script `eval-start.cjs` with a V8 code cache (eval-start.ts; `FUSEFLOW_EVAL_CODE_CACHE=0`:
 * from its ES modules, as when the script cannot be used). The eval command loads no
 * module of the user's, which is what makes it safe to bundle (the library's classes are not
 * shared with user code there).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startFromScript } from './eval-start.js';

/** Manifest format; a manifest of another format is stale. */
export const EVAL_BUNDLE_FORMAT = 1;
/** The bundle's folder under the package's `dist/`. */
export const EVAL_BUNDLE_DIR = 'eval-bundle';
/** The bundle's entry module (exports {@link EvalBundleEntry.runEvalCommand}). */
export const EVAL_BUNDLE_ENTRY = 'eval-entry.js';
/** The manifest beside the bundle. */
export const EVAL_BUNDLE_MANIFEST = 'manifest.json';

/** One file the bundle was built from, as it was at build time. */
export interface BundleInput {
  /** Path relative to the package root, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** SHA-256 of the content, hex. */
  readonly sha256: string;
}

/** What `dist/eval-bundle/manifest.json` records. */
export interface EvalBundleManifest {
  readonly format: number;
  /** `process.version` of the Node that built it. */
  readonly node: string;
  readonly inputs: readonly BundleInput[];
}

/** What the bundle's entry module exports. */
export interface EvalBundleEntry {
  runEvalCommand(argv: readonly string[]): Promise<number>;
}

/** The package root (the folder holding `dist/`) this module was loaded from. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** SHA-256 of a file's content, hex. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Why the bundle in `root/dist/eval-bundle` cannot be used by this process, or undefined when it
 * can: the manifest names this Node version and every input file is as it was at build time.
 */
export function staleReason(root: string): string | undefined {
  const dir = join(root, 'dist', EVAL_BUNDLE_DIR);
  let manifest: EvalBundleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, EVAL_BUNDLE_MANIFEST), 'utf8')) as EvalBundleManifest;
  } catch (err) {
    return `no readable manifest in ${dir} (${err instanceof Error ? err.message : String(err)})`;
  }
  if (manifest.format !== EVAL_BUNDLE_FORMAT) return `manifest format ${String(manifest.format)}, expected ${EVAL_BUNDLE_FORMAT}`;
  if (manifest.node !== process.version) return `built by node ${String(manifest.node)}, this is ${process.version}`;
  const inputs: unknown = manifest.inputs;
  if (!isInputList(inputs)) return 'the manifest lists no inputs';
  for (const input of inputs) {
    const file = join(root, input.path);
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = statSync(file));
    } catch {
      return `${input.path} is gone`;
    }
    if (size !== input.size) return `${input.path} changed (size ${size}, was ${input.size})`;
    // A rebuild rewrites files with the same content: a moved time costs a hash, not the bundle.
    if (mtimeMs !== input.mtimeMs && fileSha256(file) !== input.sha256) return `${input.path} changed (content)`;
  }
  return undefined;
}

function isInputList(value: unknown): value is readonly BundleInput[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  return value.every((v: unknown) => {
    const i = v as Partial<Record<keyof BundleInput, unknown>> | null;
    return i !== null && typeof i === 'object' && typeof i.path === 'string' && typeof i.size === 'number' && typeof i.mtimeMs === 'number' && typeof i.sha256 === 'string';
  });
}

/**
 * The bundled `eval` command when the bundle is current (see {@link staleReason}) and
 * `FUSEFLOW_EVAL_BUNDLE` is not `0`, else undefined.
 * With `FUSEFLOW_DEBUG_START=1` it says on stderr which start it chose and why.
 */
export async function loadEvalBundle(root: string = packageRoot()): Promise<EvalBundleEntry['runEvalCommand'] | undefined> {
  const debug = process.env.FUSEFLOW_DEBUG_START === '1';
  const stale = process.env.FUSEFLOW_EVAL_BUNDLE === '0' ? 'FUSEFLOW_EVAL_BUNDLE=0' : staleReason(root);
  if (stale !== undefined) {
    if (debug) process.stderr.write(`fuseflow: eval start: modules (bundle not used: ${stale})\n`);
    return undefined;
  }
  const bundleDir = join(root, 'dist', EVAL_BUNDLE_DIR);
  if (process.env.FUSEFLOW_EVAL_CODE_CACHE !== '0') {
    try {
      const start = startFromScript(bundleDir);
      if (debug) process.stderr.write(`fuseflow: eval start: bundle (script, code cache ${start.cache === 'hit' ? 'used' : `${start.cache}: ${start.why ?? ''}`})\n`);
      return start.runEvalCommand;
    } catch (err) {
      if (debug) process.stderr.write(`fuseflow: eval start: script not used (${err instanceof Error ? err.message : String(err)})\n`);
    }
  }
  try {
    const entry = (await import(pathToFileURL(join(bundleDir, EVAL_BUNDLE_ENTRY)).href)) as Partial<EvalBundleEntry>;
    if (typeof entry.runEvalCommand !== 'function') throw new Error(`${EVAL_BUNDLE_ENTRY} exports no runEvalCommand`);
    if (debug) process.stderr.write('fuseflow: eval start: bundle\n');
    return entry.runEvalCommand;
  } catch (err) {
    if (debug) process.stderr.write(`fuseflow: eval start: modules (bundle not loaded: ${err instanceof Error ? err.message : String(err)})\n`);
    return undefined;
  }
}

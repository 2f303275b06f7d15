/**
 * Builds the bundled eval start (see eval-bundle.ts) into `dist/eval-bundle/`, after `tsc` has
 * built `dist/`: `node dist/cli/bundle/build-eval-bundle.js` (run by `npm run build` and the
 * `prepare` script of `npm ci`).
 *
 * esbuild bundles `dist/cli/eval-entry.js` with the packages in {@link BUNDLED_PACKAGES}, split
 * into shared chunks, beside two more entries that code finds by `import.meta.url`:
 * `eval-metrics.js` (the metric recipe a run's threads import) and `eval-worker.js` (the entry of
 * `--threads N` workers), so a threaded run's workers load the same bundle. Every other package
 * (LMDB's native addon, vega, piscina, …) stays an import of `node_modules`; `eval seg` (which
 * starts image-reading workers by path) stays in `dist/cli/commands/`. A first-party module or
 * package that uses `import.meta`, `__dirname` or `require` and is not in
 * {@link LOCATION_AWARE} fails the build: its paths would point into the bundle.
 *
 * Beside them, `eval-start.cjs` (build-eval-start.ts): the same command as one classic script, the
 * start a V8 code cache can serve.
 *
 * The manifest records this Node's version and the size, time and SHA-256 of each first-party
 * module bundled and of each bundled package's package.json. The
 * bundle is written to a temporary folder and renamed into place. Without esbuild (installs
 * without dev dependencies) nothing is built and the CLI starts module by module.
 *
 * @throws Error (exit 1) when the bundle cannot be built safely.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { buildEvalStart, EVAL_START_FILE } from './build-eval-start.js';
import { EVAL_BUNDLE_DIR, EVAL_BUNDLE_FORMAT, EVAL_BUNDLE_MANIFEST, fileSha256, packageRoot, type BundleInput, type EvalBundleManifest } from './eval-bundle.js';

/** The packages bundled (with their own dependencies); any other package stays external. */
export const BUNDLED_PACKAGES: ReadonlySet<string> = new Set(['apache-arrow', 'simple-statistics', 'rxjs']);

/**
 * First-party modules (under dist/) that know their own location, and why that still holds in
 * the bundle (its chunks and entries sit in one folder).
 */
export const LOCATION_AWARE: Readonly<Record<string, string>> = {
  'cli/commands/eval-metrics.js': "the recipe's './eval-metrics.js' is the bundle's eval-metrics entry",
  'eval/parallel/segment-runner.js': "the workers' './eval-worker.js' is the bundle's eval-worker entry",
  'core/start-worker.js': 'its tsx bootstrap is used only for TypeScript sources',
  'core/workers.js': "it resolves tsx only for TypeScript sources; '.js' workers are found beside the caller",
  'workers/transfer-list.js': 'it names import.meta.url only in an error message',
};

/** Modules kept out of the bundle (imported from dist/ as they are): they start workers by path. */
const KEPT_OUT = /[\\/]cli[\\/]commands[\\/]eval-seg\.js$/;

/** What finds files by a module's own location (a package's `require("./x")` of a literal path is bundled, a first-party one is not expected). */
const LOCATION_USE = /\bimport\.meta\b|\b__dirname\b|\b__filename\b|\bcreateRequire\b/;
const FIRST_PARTY_REQUIRE = /\brequire\s*\(/;

/** The npm package a bare import names (`@scope/name` or `name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isBare(specifier: string): boolean {
  return !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:') && !/^[a-z]+:/i.test(specifier);
}

/** A package a first-party module imports that stays an import of `node_modules` (not in {@link BUNDLED_PACKAGES}). */
function externalPackage(specifier: string): boolean {
  return isBare(specifier) && !BUNDLED_PACKAGES.has(packageOf(specifier));
}

/**
 * The file a start checks for a bundled input: a first-party module itself; for a package's
 * module, the package's package.json (an install that changes a package rewrites it), which
 * keeps a start's checks to one per package.
 */
function checkedFile(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return input;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0]?.startsWith('@') === true ? rest.slice(0, 2) : rest.slice(0, 1);
  return `${input.slice(0, at)}node_modules/${name.join('/')}/package.json`;
}

/** Builds `root/dist/eval-bundle`; returns the manifest written. */
export async function buildEvalBundle(root: string = packageRoot()): Promise<EvalBundleManifest | undefined> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('fuseflow: eval bundle not built (esbuild is not installed); `fuseflow eval` starts module by module\n');
    return undefined;
  }
  const dist = join(root, 'dist');
  const finalDir = join(dist, EVAL_BUNDLE_DIR);
  const tempDir = `${finalDir}.tmp-${process.pid}`;
  rmSync(tempDir, { recursive: true, force: true });
  mkdirSync(tempDir, { recursive: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: {
        'eval-entry': join(dist, 'cli', 'eval-entry.js'),
        'eval-metrics': join(dist, 'cli', 'commands', 'eval-metrics.js'),
        'eval-worker': join(dist, 'eval', 'parallel', 'eval-worker.js'),
      },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Class names travel with thread states (state-codec tags them by name): esbuild must not rename them.
      keepNames: true,
      outdir: tempDir,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'fuseflow-eval-scope',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              if (args.kind === 'entry-point') return undefined;
              const firstParty = args.importer.startsWith(dist + sep);
              if (firstParty && externalPackage(args.path)) return { path: args.path, external: true };
              const target = firstParty && args.path.startsWith('.') ? join(dirname(args.importer), args.path) : undefined;
              if (target !== undefined && KEPT_OUT.test(target)) {
                return { path: relative(finalDir, target).split(sep).join('/'), external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
    // A warning (an import esbuild cannot follow, …) would be a difference from the module-by-module start.
    if (result.warnings.length > 0) throw new Error(`eval bundle: esbuild warned: ${result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`).join('; ')}`);
    const inputs = Object.keys(result.metafile.inputs).filter((p) => existsSync(join(root, p)));
    const misplaced = inputs.filter((p) => {
      const inDist = p.startsWith('dist/') ? p.slice('dist/'.length) : undefined;
      if (inDist !== undefined && LOCATION_AWARE[inDist] !== undefined) return false;
      const text = readFileSync(join(root, p), 'utf8');
      return LOCATION_USE.test(text) || (inDist !== undefined && FIRST_PARTY_REQUIRE.test(text));
    });
    if (misplaced.length > 0)
      throw new Error(
        `eval bundle: these modules find files by their own location, which the bundle would move: ${misplaced.join(', ')} (keep them out, or list them in LOCATION_AWARE with why that holds)`,
      );
    // The same command as one classic script, which a start can compile with a V8 code cache (eval-start.ts).
    writeFileSync(join(tempDir, EVAL_START_FILE), await buildEvalStart(esbuild, root, dist, finalDir, externalPackage));
    const manifest: EvalBundleManifest = {
      format: EVAL_BUNDLE_FORMAT,
      node: process.version,
      inputs: [...new Set(inputs.map(checkedFile))].sort().map((path): BundleInput => {
        const file = join(root, path);
        const { size, mtimeMs } = statSync(file);
        return { path, size, mtimeMs, sha256: fileSha256(file) };
      }),
    };
    writeFileSync(join(tempDir, EVAL_BUNDLE_MANIFEST), `${JSON.stringify(manifest)}\n`);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(tempDir, finalDir);
    return manifest;
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

// `node dist/cli/bundle/build-eval-bundle.js`
if (process.argv[1] !== undefined && import.meta.url.endsWith('/build-eval-bundle.js') && process.argv[1].endsWith('build-eval-bundle.js')) {
  const manifest = await buildEvalBundle();
  if (manifest !== undefined) process.stderr.write(`fuseflow: eval bundle built (${manifest.inputs.length} files checked at each start) → dist/${EVAL_BUNDLE_DIR}/\n`);
}

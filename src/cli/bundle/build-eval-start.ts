/**
 * Builds `eval-start.cjs` beside the ES module bundle (build-eval-bundle.ts): the same eval
 * command as one classic script, which a start can compile with a V8 code cache (eval-start.ts;
 * Node 20 gives ES modules none). It is the ES bundle's code in another wrapping:
 *  - `import.meta` reads the `__fuseflowImportMeta` the start passes (its `url` is the bundle
 *    folder's, so './eval-metrics.js' and './eval-worker.js' name the ES bundle's entries, which
 *    a run's worker threads load as before);
 *  - each dynamic `import(…)` calls the start's `__fuseflowImport`, which resolves relative
 *    specifiers against that url and hands back this script's own metric recipe for
 *    './eval-metrics.js' (exported as `evalMetrics`), so the main thread's metrics are this
 *    script's classes, as they are the ES bundle's in a bundled start;
 *  - `eval seg` and the HTML report (vega is an ES module only) stay modules of dist/, imported
 *    when used.
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { EVAL_START_FILE, EVAL_START_PARAMS } from './eval-start.js';

export { EVAL_START_FILE };

/** The names the script's `import.meta` and `import()` become (parameters of its wrapper, see eval-start.ts). */
const IMPORT_META = EVAL_START_PARAMS[5];
const IMPORT = EVAL_START_PARAMS[6];

/** First-party modules the script leaves to dist/ (imported when a run needs them). */
const LEFT_TO_DIST = /[\\/](cli[\\/]commands[\\/]eval-seg|eval[\\/]report[\\/]render-report)\.js$/;

/** A dynamic import in the built text (not a property or an identifier ending in `import`). */
const DYNAMIC_IMPORT = /(?<![\w$.])import\(/g;

/** A dynamic import of a relative module named by a literal. */
const LITERAL_IMPORT = /\bimport\((['"])(\.{1,2}\/[^'"]+)\1\)/g;

/**
 * `text` (the module `file` of dist/) with each `import('./x.js')` of a module the script bundles
 * made static (`import * as` at the top, the call a resolved promise of it). esbuild would wrap
 * the target and everything it imports in lazy initialisers, whose bindings V8 cannot treat as
 * constants: the hot loops of a run were ~5% slower. The script evaluates them at its start,
 * as the ES bundle's `eval merge` chunk would be when asked for: modules without side effects.
 */
function eagerImports(file: string, text: string): string {
  const added: string[] = [];
  const out = text.replace(LITERAL_IMPORT, (call, _q: string, specifier: string) => {
    if (LEFT_TO_DIST.test(join(file, '..', specifier))) return call;
    const name = `__fuseflowEager${added.length}`;
    added.push(`import * as ${name} from ${JSON.stringify(specifier)};`);
    return `Promise.resolve(${name})`;
  });
  return added.length === 0 ? text : `${added.join('\n')}\n${out}`;
}

/**
 * Builds the script's text from `dist` (`bundleDir`: the folder it will sit in, for the relative
 * specifiers of what it leaves to dist/).
 * @throws Error when esbuild warns, or the text still holds a dynamic import or a `require` of a package.
 */
export async function buildEvalStart(
  esbuild: typeof import('esbuild'),
  root: string,
  dist: string,
  bundleDir: string,
  isExternal: (specifier: string) => boolean,
): Promise<string> {
  const result = await esbuild.build({
    absWorkingDir: root,
    stdin: {
      contents: "export { runEvalCommand } from './cli/eval-entry.js';\nexport * as evalMetrics from './cli/commands/eval-metrics.js';\n",
      resolveDir: dist,
      sourcefile: 'eval-start-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    keepNames: true,
    // No comments or layout: a smaller script to read and hash at each start, and all ASCII (a one-byte string for V8).
    minifyWhitespace: true,
    charset: 'ascii',
    write: false,
    logLevel: 'silent',
    define: { 'import.meta': IMPORT_META },
    plugins: [
      {
        name: 'fuseflow-eval-start-scope',
        setup(build) {
          build.onLoad({ filter: /\.js$/ }, (args) =>
            args.path.startsWith(dist + sep) ? { contents: eagerImports(args.path, readFileSync(args.path, 'utf8')), loader: 'js' } : undefined,
          );
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.importer.startsWith(dist + sep) && isExternal(args.path)) return { path: args.path, external: true };
            if (args.importer.startsWith(dist + sep) && args.path.startsWith('.')) {
              const target = join(args.importer, '..', args.path);
              if (LEFT_TO_DIST.test(target)) return { path: relative(bundleDir, target).split(sep).join('/'), external: true };
            }
            return undefined;
          });
        },
      },
    ],
  });
  if (result.warnings.length > 0) throw new Error(`eval start script: esbuild warned: ${result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`).join('; ')}`);
  const text = result.outputFiles[0]?.text;
  if (text === undefined) throw new Error('eval start script: esbuild wrote nothing');
  const out = text.replace(DYNAMIC_IMPORT, `${IMPORT}(`);
  const packages = [...out.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1] as string).filter((s) => !s.startsWith('node:'));
  if (packages.length > 0)
    throw new Error(`eval start script: requires packages (${[...new Set(packages)].join(', ')}); only node: modules may be required (ES-only packages would fail)`);
  if (/\bimport\s*\(/.test(out.replaceAll(`${IMPORT}(`, ''))) throw new Error('eval start script: a dynamic import is left that the start cannot serve');
  if (/[^\t\n\r -~]/.test(out)) throw new Error('eval start script: not printable ASCII (the start reads it as latin1)');
  if (/\b__esm\(/.test(out))
    throw new Error('eval start script: esbuild wrapped modules in lazy initialisers (a dynamic import of a bundled module left?), which slow the hot loops');
  return out;
}

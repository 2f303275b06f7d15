/**
 * Packs the GPU, trainer and predict benches into one folder that runs with Node alone (no npm, no network):
 * esbuild bundles bench/gpu.ts, bench/trainer.ts, bench/predict.ts (on a synthetic volume: the
 * image readers' wasm files are not packed) and the replica worker (which the trainer finds
 * beside its own chunk, as `import.meta.url` resolves there); the packages that load files by path
 * (Dawn's binding, LMDB's addon, piscina's worker, the wasm binaries) are copied next to it,
 * Linux x64 only. Used to measure on a lent machine that has a GPU but no npm registry.
 *
 * usage: node tools/device-pack/build.mjs OUT_DIR   (from the repository root, after npm ci)
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node tools/device-pack/build.mjs OUT_DIR');
const EXTERNAL = ['webgpu', 'lmdb', 'piscina', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'bullmq', '@aws-sdk/*', 'vega', 'vega-lite'];
await build({
  entryPoints: {
    gpu: 'bench/gpu.ts',
    trainer: 'bench/trainer.ts',
    predict: 'bench/predict.ts',
    'replica-worker': 'src/trainer/parallel/replica-worker.ts',
    'lib/solo-stepper': 'bench/lib/solo-stepper.ts',
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL,
  // CommonJS names that bundled packages (tfjs's emscripten glue) read
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __toPath } from 'node:url'; import { dirname as __dirOf } from 'node:path'; const require = __createRequire(import.meta.url); const __filename = __toPath(import.meta.url); const __dirname = __dirOf(__filename);",
  },
  logLevel: 'warning',
});
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
cpSync('bench/trainer-torch.py', join(out, 'trainer-torch.py'));
/** Whole packages (JavaScript, small) and single files (native addons, binaries) the bundle loads at run time. */
const PACKAGES = ['lmdb', 'piscina', 'msgpackr', 'ordered-binary', 'weak-lru-cache', 'node-gyp-build-optional-packages', 'detect-libc', '@harperfast/extended-iterable'];
const FILES = [
  '@lmdb/lmdb-linux-x64/package.json',
  '@lmdb/lmdb-linux-x64/index.js',
  '@lmdb/lmdb-linux-x64/node.abi115.glibc.node',
  '@lmdb/lmdb-linux-x64/node.napi.glibc.node',
  'webgpu/package.json',
  'webgpu/index.js',
  'webgpu/dist/linux-x64/dawn.node',
  '@tensorflow/tfjs-backend-wasm/package.json',
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
];
for (const p of PACKAGES) cpSync(join('node_modules', p), join(out, 'node_modules', p), { recursive: true });
for (const f of FILES) {
  mkdirSync(dirname(join(out, 'node_modules', f)), { recursive: true });
  cpSync(join('node_modules', f), join(out, 'node_modules', f));
}
console.log(`packed into ${out}`);

#!/usr/bin/env node
// The fuseflow command: runs the compiled CLI (built by `npm ci` through the `prepare` script).
// `fuseflow eval` and `fuseflow eval merge` start from the bundle in dist/eval-bundle/ when it is
// current (built by this Node from the files now in dist/; see src/cli/bundle/eval-bundle.ts; its
// script eval-start.cjs is compiled with a V8 code cache, see src/cli/bundle/eval-start.ts), and
// module by module otherwise, or with FUSEFLOW_EVAL_BUNDLE=0.
const argv = process.argv.slice(2);
let runEval;
if (argv[0] === 'eval' && argv[1] !== 'seg') {
  const { loadEvalBundle } = await import('../dist/cli/bundle/eval-bundle.js');
  runEval = await loadEvalBundle();
}
process.exitCode = runEval !== undefined ? await runEval(argv.slice(1)) : await (await import('../dist/cli/main.js')).main(argv);

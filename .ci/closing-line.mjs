// Prints CI's closing line, "N passed, N failed[, N skipped]", from vitest's JSON report.
// A test file that fails as a whole (an import error, a failing beforeAll/afterAll) counts as one
// failed test even though none of its tests failed: vitest marks the tests under a failing
// beforeAll as skipped and a file that cannot be imported has no tests at all, so counting
// tests alone would report such a run as passed. A non-zero vitest exit with nothing counted as
// failed (an unhandled error) counts as one failure too.
// Usage: node .ci/closing-line.mjs REPORT.json VITEST_EXIT_STATUS; exits 1 when it counted a failure.
import { readFileSync } from 'node:fs';

const [file, exitArg] = process.argv.slice(2);
const vitestExit = Number(exitArg ?? 0);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`ci: no test report from vitest (${err instanceof Error ? err.message : String(err)}); vitest exited ${vitestExit}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let failed = report.numFailedTests;
for (const suite of report.testResults ?? []) {
  const testFailed = (suite.assertionResults ?? []).some((t) => t.status === 'failed');
  if (suite.status === 'failed' && !testFailed) {
    failed += 1;
    const why = (suite.message ?? '').split('\n')[0] || 'a hook (beforeAll/afterAll) failed, see the output above';
    console.log(`ci: suite failed: ${suite.name.replace(`${process.cwd()}/`, '')}: ${why}`);
  }
}
if (failed === 0 && vitestExit !== 0) {
  failed = 1;
  console.log(`ci: vitest exited ${vitestExit} with no failing test counted (an unhandled error? see the output above)`);
}
if (report.numTotalTests === 0 && failed === 0) {
  failed = 1;
  console.log('ci: no test ran');
}
// A suite skipped for a missing engine (test/engines/engine-suite.ts) says what to install in its title.
const engineSkips = new Set();
for (const suite of report.testResults ?? []) {
  for (const t of suite.assertionResults ?? []) {
    const title = (t.ancestorTitles ?? []).find((a) => a.includes('(skipped: '));
    if ((t.status === 'pending' || t.status === 'skipped') && title !== undefined) engineSkips.add(title);
  }
}
for (const title of engineSkips) console.log(`ci: skipped: ${title}`);
const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : ''));
process.exitCode = failed > 0 ? 1 : 0;

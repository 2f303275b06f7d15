// Test helper: runs `fuseflow info <path>` in this process and prints, as the last line of
// stderr, the exit code and the process's peak resident memory (KiB, all threads).
import { main } from '../../../../src/cli/main.js';

const code = await main(['info', ...process.argv.slice(2)]);
console.error(`exit ${code} maxRSS ${process.resourceUsage().maxRSS}`);
process.exitCode = code;

/**
 * `npm run bench -- NAME [args]` runs bench/NAME.ts (or bench/NAME/main.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const candidates = name === undefined ? [] : [join(here, `${name}.ts`), join(here, name, 'main.ts')];
const target = candidates.find((c) => existsSync(c));
if (target === undefined) {
  const available = readdirSync(here)
    .filter((f) => f !== 'run.ts' && f !== 'lib' && !f.startsWith('.'))
    .map((f) => f.replace(/\.ts$/, ''));
  console.error(`usage: npm run bench -- NAME\navailable: ${available.join(', ')}`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(target).href);

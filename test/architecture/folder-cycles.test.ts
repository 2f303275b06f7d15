/**
 * Folders import downward, never in a circle (STYLE.md rule 13; issue 10 §3). Reads the import
 * specifiers of every module under src/ (static `import`/`export … from`, `import()` and
 * `new URL('./…', import.meta.url)` worker entries), builds the graph of top-level folders
 * (src/<folder>) and checks that it has no cycle and that every edge goes down the layers:
 *
 *   core ← ops ← workers ← cache, streams, eval ← trainer ← datasets ← cli
 *
 * Within the cache/streams/eval layer only the edges in {@link SIBLING_EDGES} are allowed. The
 * module-level rule (no cycle between files) is ESLint's import-x/no-cycle (`npm run lint`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** The layers, lowest first; a folder may import any folder in a lower layer. */
const LAYERS: readonly (readonly string[])[] = [['core'], ['ops'], ['workers'], ['cache', 'streams', 'eval'], ['trainer'], ['datasets'], ['cli']];

/**
 * Imports allowed between folders of one layer, each with its reason. Adding one is a design
 * decision: it must keep the graph acyclic (checked below).
 */
const SIBLING_EDGES: readonly string[] = [
  // The batched dataset reads the cache in its workers (batch-worker opens the cache folder).
  'streams -> cache',
];

/** One import of a module in another top-level folder. */
interface FolderImport {
  readonly from: string;
  readonly to: string;
  /** The importing module, relative to src/, and the specifier. */
  readonly where: string;
}

/** Every module file under `dir` (TypeScript and JavaScript), recursively. */
function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modulesUnder(path);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Relative specifiers a module imports, with comments removed first (doc examples are not imports). */
function relativeSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = code.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)[`'"](\.{1,2}\/[^`'"$]*)/g);
  return [...found].map((m) => m[1] ?? '');
}

/** The top-level folder of a path under src/, or undefined for src/ itself and paths outside. */
function folderOf(path: string): string | undefined {
  const rel = relative(SRC, path);
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

/** Imports between different top-level folders of src/ (the root barrel src/index.ts is exempt). */
function folderImports(): FolderImport[] {
  const out: FolderImport[] = [];
  for (const file of modulesUnder(SRC)) {
    const from = folderOf(file);
    if (from === undefined) continue;
    for (const spec of relativeSpecifiers(readFileSync(file, 'utf8'))) {
      const to = folderOf(resolve(dirname(file), spec));
      if (to !== undefined && to !== from) out.push({ from, to, where: `${relative(SRC, file)} → ${spec}` });
    }
  }
  return out;
}

/** A cycle in the directed graph `edges` (as a closed path a → … → a), or undefined. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** The folder graph: folder → folders it imports. */
function graphOf(imports: readonly FolderImport[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const targets = g.get(from) ?? new Set<string>();
    targets.add(to);
    g.set(from, targets);
  }
  return g;
}

const layerOf = (folder: string): number => LAYERS.findIndex((l) => l.includes(folder));

describe('folder-level imports (STYLE.md rule 13)', () => {
  const imports = folderImports();

  it('reads the imports it should (a known edge is seen; a doc example is not an import)', () => {
    expect(imports.some((i) => i.from === 'streams' && i.to === 'workers')).toBe(true);
    expect(imports.some((i) => i.from === 'ops' && i.to === 'core')).toBe(true);
    expect(relativeSpecifiers("/** @example import { x } from '../cli/main.js' */\nimport { y } from './y.js';")).toEqual(['./y.js']);
    expect(relativeSpecifiers("const w = new URL(`../ops/builtin-ops${ext}`, import.meta.url); await import('./z.js');")).toEqual(['../ops/builtin-ops', './z.js']);
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map([
      ['streams', new Set(['cache', 'core'])],
      ['cache', new Set(['streams'])],
      ['core', new Set<string>()],
    ]);
    expect(findCycle(g)).toEqual(['streams', 'cache', 'streams']);
    expect(findCycle(new Map([['streams', new Set(['cache'])]]))).toBeUndefined();
  });

  it('every top-level folder of src/ has a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory());
    const unplaced = folders.map((e) => e.name).filter((f) => layerOf(f) < 0);
    expect(unplaced, 'place new folders in LAYERS').toEqual([]);
  });

  it('has no cycle between folders', () => {
    const cycle = findCycle(graphOf(imports));
    const detail = cycle?.slice(0, -1).map((f, i) => {
      const to = cycle[i + 1];
      return `${f} → ${to}: ${imports.find((x) => x.from === f && x.to === to)?.where ?? ''}`;
    });
    expect(detail, 'folder cycle').toBeUndefined();
  });

  it('imports only go down the layers (or along an allowed sibling edge)', () => {
    const upward = imports.filter(({ from, to }) => {
      const [a, b] = [layerOf(from), layerOf(to)];
      return b > a || (a === b && !SIBLING_EDGES.includes(`${from} -> ${to}`));
    });
    expect(upward.map((i) => `${i.from} → ${i.to}: ${i.where}`)).toEqual([]);
  });
});

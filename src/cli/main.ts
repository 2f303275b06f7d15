#!/usr/bin/env node
/**
 * The `fuseflow` command line. Each command lives in `commands/<name>.ts` and exports
 * `run(args): Promise<number>` (the exit code); modules load only when their command runs.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandModule } from './run-command.js';

interface Command {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  info: { summary: 'print size, spacing, origin, direction, dtype and value range of an image file or DICOM series', load: () => import('./commands/info.js') },
  cache: { summary: 'status, verify or delete a static cache folder', load: () => import('./commands/cache.js') },
  emit: { summary: 'write a Slurm script or Kubernetes Jobs that run cache fill / eval as N shards, then commit / merge', load: () => import('./commands/emit.js') },
  demo: { summary: 'run the end-to-end example on the in-repo data (what `npm start` runs)', load: () => import('./commands/demo.js') },
  eval: { summary: 'evaluate predictions from CSV / Arrow files: AUC, AP, accuracy, CIs, … as a table, JSON or HTML report', load: () => import('./commands/eval.js') },
  predict: { summary: 'run a checkpoint over whole volumes (sliding window); one prediction per input, on its grid', load: () => import('./commands/predict.js') },
  submit: {
    summary: 'put cache fill / eval on a Redis queue as N shard jobs + commit/merge (BullMQ flow); shows progress, exits with the result',
    load: () => import('./commands/submit.js'),
  },
  worker: { summary: 'run the shard and commit/merge jobs of a Redis queue (fuseflow submit), each in a child process', load: () => import('./commands/worker.js') },
  train: { summary: 'train an MLP classifier on a CSV/Arrow table: checkpoints, JSONL log, validation predictions as Arrow; --resume', load: () => import('./commands/train.js') },
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'fuseflow — stream-processing dataflow engine for biomedical machine learning',
    '',
    'usage: fuseflow <command> [options]      (fuseflow <command> --help for its options)',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ''}`),
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`fuseflow: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return runCommand(name, command.load, rest);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2));
}

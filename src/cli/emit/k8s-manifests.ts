/**
 * The Kubernetes manifests `fuseflow emit k8s` writes: an Indexed Job (`completionMode: Indexed`,
 * `completions: N`, `parallelism: K`, `FUSEFLOW_WORLD_SIZE=N` in its environment) whose pod `i`
 * runs the shard step for `JOB_COMPLETION_INDEX=i`, and a one-pod Job for the commit/merge step,
 * applied once the Indexed Job is complete (Kubernetes has no job dependencies; the header shows
 * the `kubectl wait` between the two). With a refinement round (eval) two more go between them:
 * the one-pod plan Job and the Indexed Job of the shards' passes. Both pods mount the same PersistentVolumeClaim (`--pvc`)
 * at `--mount` and run there.
 */
import type { EmitRequest } from './emit-request.js';
import { fuseflowFunction, type ShardSteps } from './shard-steps.js';
import { shellQuote } from './shell-words.js';

/** The manifests' texts. */
export interface K8sManifests {
  readonly indexedJob: string;
  /** With a refinement round (eval): the Job writing the round's plan, and the Indexed Job of the shards' passes. */
  readonly round?: { readonly planJob: string; readonly passJob: string };
  readonly finalJob: string;
}

/** Where the round's manifests go (beside the first), named in the headers. */
export interface K8sFiles {
  /** The commit/merge Job. */
  readonly final: string;
  /** With a refinement round: the plan Job and the pass Indexed Job. */
  readonly plan?: string;
  readonly pass?: string;
}

/** A YAML scalar: JSON's double-quoted strings are YAML too. */
const q = (s: string): string => JSON.stringify(s);

/** The YAML of one Job running `script` (a POSIX shell script), `pad`-indented block text. */
function jobYaml(req: EmitRequest, name: string, step: string, spec: readonly string[], script: readonly string[]): string[] {
  const resources: string[] = [];
  if (req.cpusPerTask !== undefined || req.mem !== undefined) {
    resources.push('          resources:', '            requests:');
    if (req.cpusPerTask !== undefined) resources.push(`              cpu: ${q(String(req.cpusPerTask))}`);
    if (req.mem !== undefined) resources.push(`              memory: ${q(req.mem)}`);
    if (req.mem !== undefined) resources.push('            limits:', `              memory: ${q(req.mem)}`);
  }
  const volume = req.pvc === undefined ? [] : ['      volumes:', '        - name: shared', '          persistentVolumeClaim:', `            claimName: ${q(req.pvc)}`];
  const mount = req.pvc === undefined ? [] : ['          volumeMounts:', '            - name: shared', `              mountPath: ${q(req.mount)}`];
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${q(name)}`,
    '  labels:',
    '    app.kubernetes.io/name: fuseflow',
    `    fuseflow/run: ${q(req.jobName)}`,
    `    fuseflow/step: ${q(step)}`,
    'spec:',
    ...spec.map((l) => `  ${l}`),
    '  template:',
    '    metadata:',
    '      labels:',
    `        fuseflow/run: ${q(req.jobName)}`,
    `        fuseflow/step: ${q(step)}`,
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '        - name: fuseflow',
    `          image: ${q(req.image ?? '')}`,
    ...(req.pvc === undefined ? [] : [`          workingDir: ${q(req.mount)}`]),
    '          command: ["/bin/sh", "-c"]',
    '          args:',
    '            - |',
    ...script.map((l) => (l === '' ? '' : `              ${l}`)),
    '          env:',
    '            - name: FUSEFLOW_WORLD_SIZE',
    `              value: ${q(String(req.shards))}`,
    ...resources,
    ...mount,
    ...volume,
  ];
}

/**
 * The manifests' texts; `files` says where the ones after the first are written (named in the
 * first's header, with the order to apply them in).
 *
 * @example k8sManifests(req, shardSteps(req), 'fuseflow emit k8s eval …', { final: '/home/me/eval-merge.yaml', plan: …, pass: … })
 */
export function k8sManifests(req: EmitRequest, steps: ShardSteps, emittedBy: string, files: K8sFiles): K8sManifests {
  const n = req.shards;
  const k = req.maxParallel ?? n;
  const finalName = `${req.jobName}-${steps.finalName}`;
  const prelude = ['set -eu', ...fuseflowFunction(req.fuseflow), `mkdir -p ${steps.folders.map(shellQuote).join(' ')}`];
  const round = steps.round !== undefined && files.plan !== undefined && files.pass !== undefined ? { ...steps.round, planFile: files.plan, passFile: files.pass } : undefined;
  const planName = `${req.jobName}-plan`;
  const passName = `${req.jobName}-pass`;
  const apply = (file: string, after: string | undefined): string[] => [
    ...(after === undefined ? [] : [`#   kubectl wait --for=condition=complete --timeout=-1s job/${after}`]),
    `#   kubectl apply -f ${file}`,
  ];
  const order =
    round === undefined
      ? [...apply(req.out, undefined), ...apply(files.final, req.jobName)]
      : [...apply(req.out, undefined), ...apply(round.planFile, req.jobName), ...apply(round.passFile, planName), ...apply(files.final, passName)];
  const header = [
    round === undefined
      ? `# fuseflow ${req.kind} on Kubernetes: an Indexed Job of ${n} pods (${k} at a time), then the ${steps.finalName} Job.`
      : `# fuseflow ${req.kind} on Kubernetes: an Indexed Job of ${n} pods (${k} at a time), the plan Job, an Indexed Job of each shard's refinement pass, then the ${steps.finalName} Job.`,
    `# Written by: ${emittedBy}`,
    '# Run, in this order (Kubernetes has no job dependencies):',
    ...order,
    `# Pod i runs with JOB_COMPLETION_INDEX=i and FUSEFLOW_WORLD_SIZE=${n}; a failed pod is retried (backoffLimit).`,
    ...(steps.result !== undefined ? [`# The merged result: ${steps.result} (on the shared volume).`] : []),
  ];
  const indexed = (name: string, step: string, lines: readonly string[]): string[] =>
    jobYaml(
      req,
      name,
      step,
      ['completionMode: Indexed', `completions: ${n}`, `parallelism: ${k}`, `backoffLimit: ${Math.max(3, Math.min(n, 100))}`],
      [...prelude, 'i="${JOB_COMPLETION_INDEX:?set by the Indexed Job}"', ...lines],
    );
  const single = (name: string, step: string, lines: readonly string[]): string[] => jobYaml(req, name, step, ['completions: 1', 'backoffLimit: 2'], [...prelude, ...lines]);
  const indexedJob = [...header, ...indexed(req.jobName, 'shard', steps.shard), ''].join('\n');
  const finalJob = [
    `# fuseflow ${req.kind} on Kubernetes: the ${steps.finalName} step; apply it after job/${round === undefined ? req.jobName : passName} is complete (see ${req.out}).`,
    `# Written by: ${emittedBy}`,
    ...single(finalName, steps.finalName, steps.final),
    '',
  ].join('\n');
  if (round === undefined) return { indexedJob, finalJob };
  const planJob = [
    `# fuseflow ${req.kind} on Kubernetes: merges the shards' states into the refinement round's plan; apply it after job/${req.jobName} is complete (see ${req.out}).`,
    `# Written by: ${emittedBy}`,
    ...single(planName, 'plan', round.plan),
    '',
  ].join('\n');
  const passJob = [
    `# fuseflow ${req.kind} on Kubernetes: each shard's refinement pass (an Indexed Job of ${n} pods); apply it after job/${planName} is complete (see ${req.out}).`,
    `# Written by: ${emittedBy}`,
    ...indexed(passName, 'pass', round.pass),
    '',
  ].join('\n');
  return { indexedJob, round: { planJob, passJob }, finalJob };
}

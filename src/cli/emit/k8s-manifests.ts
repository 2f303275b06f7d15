/**
 * The Kubernetes manifests `fuseflow emit k8s` writes: an Indexed Job (`completionMode: Indexed`,
 * `completions: N`, `parallelism: K`, `FUSEFLOW_WORLD_SIZE=N` in its environment) whose pod `i`
 * runs the shard step for `JOB_COMPLETION_INDEX=i`, and a one-pod Job for the commit/merge step,
 * applied once the Indexed Job is complete (Kubernetes has no job dependencies; the header shows
 * the `kubectl wait` between the two). Both pods mount the same PersistentVolumeClaim (`--pvc`)
 * at `--mount` and run there.
 */
import type { EmitRequest } from './emit-request.js';
import { fuseflowFunction, type ShardSteps } from './shard-steps.js';
import { shellQuote } from './shell-words.js';

/** The two manifests' texts. */
export interface K8sManifests {
  readonly indexedJob: string;
  readonly finalJob: string;
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
 * Both manifests' texts; `finalFile` is where the second one is written (named in the first's header).
 *
 * @example k8sManifests(req, shardSteps(req), 'fuseflow emit k8s eval …', '/home/me/eval-merge.yaml')
 */
export function k8sManifests(req: EmitRequest, steps: ShardSteps, emittedBy: string, finalFile: string): K8sManifests {
  const n = req.shards;
  const k = req.maxParallel ?? n;
  const finalName = `${req.jobName}-${steps.finalName}`;
  const prelude = ['set -eu', ...fuseflowFunction(req.fuseflow), `mkdir -p ${steps.folders.map(shellQuote).join(' ')}`];
  const header = [
    `# fuseflow ${req.kind} on Kubernetes: an Indexed Job of ${n} pods (${k} at a time), then the ${steps.finalName} Job.`,
    `# Written by: ${emittedBy}`,
    '# Run, in this order (Kubernetes has no job dependencies):',
    `#   kubectl apply -f ${req.out}`,
    `#   kubectl wait --for=condition=complete --timeout=-1s job/${req.jobName}`,
    `#   kubectl apply -f ${finalFile}`,
    `# Pod i runs with JOB_COMPLETION_INDEX=i and FUSEFLOW_WORLD_SIZE=${n}; a failed pod is retried (backoffLimit).`,
    ...(steps.result !== undefined ? [`# The merged result: ${steps.result} (on the shared volume).`] : []),
  ];
  const indexedJob = [
    ...header,
    ...jobYaml(
      req,
      req.jobName,
      'shard',
      ['completionMode: Indexed', `completions: ${n}`, `parallelism: ${k}`, `backoffLimit: ${Math.max(3, Math.min(n, 100))}`],
      [...prelude, 'i="${JOB_COMPLETION_INDEX:?set by the Indexed Job}"', ...steps.shard],
    ),
    '',
  ].join('\n');
  const finalJob = [
    `# fuseflow ${req.kind} on Kubernetes: the ${steps.finalName} step; apply it after job/${req.jobName} is complete (see ${req.out}).`,
    `# Written by: ${emittedBy}`,
    ...jobYaml(req, finalName, steps.finalName, ['completions: 1', 'backoffLimit: 2'], [...prelude, ...steps.final]),
    '',
  ].join('\n');
  return { indexedJob, finalJob };
}

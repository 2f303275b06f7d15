/**
 * Why an optional package (tfjs-node, tfjs-node-gpu, webgpu, tfjs-backend-webgpu) could not be
 * imported: it is not installed, or it is and failed to load.
 */

/** What importing `pkg` threw: `missing` when the package itself is not installed; `detail` the error's first line. */
export function importProblem(pkg: string, err: unknown): { readonly missing: boolean; readonly detail: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  return { missing: (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && msg.includes(pkg), detail: msg.split('\n')[0] ?? msg };
}

import { InputError, OptionsError } from '../../core/errors.js';
import { setKey } from '../../core/sample.js';
import { defineOp } from '../../ops/registry.js';
import { checkKey } from '../../ops/validate.js';

/** Options of {@link idPath}. */
export interface IdPathOptions {
  /** Key the path is written to, e.g. `'data.input.img_path'`. */
  readonly outKey: string;
  /** Path template; every `{id}` is replaced by the sample id, e.g. `'{id}/imaging.nii.gz'`. */
  readonly template: string;
}

const NAME = 'datasets.idPath';

/**
 * Decodes a sample id into a file path relative to the data set's folder (FuseMedML's
 * `Op*SampleIDDecode`): writes `template` with `{id}` replaced by the sample id to `outKey`.
 * Static. A path that would leave the data set's folder (an id holding `..` or a leading `/`)
 * is refused.
 * @example idPath({ outKey: 'data.input.img_path', template: '{id}/imaging.nii.gz' }) // case_00001/imaging.nii.gz
 * @throws {OptionsError} when `template` holds no `{id}`.
 * @throws {InputError} (as an OpError) when the id would make a path outside the folder.
 */
export const idPath = defineOp<IdPathOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  module: import.meta.url, // worker threads import this module to rebuild the op from its spec
  validate: (o) => {
    checkKey(NAME, 'outKey', o.outKey);
    if (typeof o.template !== 'string' || !o.template.includes('{id}')) {
      throw new OptionsError(`op '${NAME}': option 'template' must be a string holding '{id}', got ${JSON.stringify(o.template)}`);
    }
  },
  apply: (sample, ctx, o) => {
    const id = ctx.sampleId;
    if (id.length === 0 || id.startsWith('/') || id.split(/[\\/]/).includes('..')) {
      throw new InputError(`op '${NAME}': sample id '${id}' would name a file outside the data set's folder`);
    }
    return setKey(sample, o.outKey, o.template.replaceAll('{id}', id));
  },
});

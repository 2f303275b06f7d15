/**
 * The dataset of id-list-dataset.ts with its ids read by row from the Arrow file named by
 * FUSEFLOW_TEST_ID_FILE (column `id`), as a user with 10^8 ids writes it: `ids` is a function
 * returning `idsFromArrowFile(...)`.
 */
import { idsFromArrowFile } from '../../../src/core/ids/arrow-file-ids.js';

export { staticPipeline, salt } from './id-list-dataset.js';

export const ids = (): ReturnType<typeof idsFromArrowFile> => {
  const file = process.env['FUSEFLOW_TEST_ID_FILE'];
  if (file === undefined) throw new Error('set FUSEFLOW_TEST_ID_FILE to the Arrow id file');
  return idsFromArrowFile(file, { column: 'id' });
};

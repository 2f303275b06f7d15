// Test helper: reads one image through the shared pool and never closes it; the process must
// still exit on its own (idle pool workers are unref'd).
import { readImage } from '../../../../src/ops/image/io/read-image.js';

const img = await readImage('test/fixtures/volumes/KmeansTest_T1RawSkullStrip.nii.gz');
console.log(`read ${img.shape.join('x')}`);

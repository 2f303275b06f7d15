/**
 * Dataset module of the id-column sharded-cache test: 200 ids as a `string[]` through a real static
 * pipeline (a seeded volume, a scale, a drop of p-013 and a split of p-042). Its twin
 * id-column-dataset.ts gives the same pipeline with the ids read from an Arrow file.
 */
import { makeVolume, morph, scale } from '../test-ops.js';

/** `p-000` … `p-199`. */
export const ids = Array.from({ length: 200 }, (_, i) => `p-${String(i).padStart(3, '0')}`);

export const staticPipeline = [makeVolume({ key: 'data.img', size: 4 }), scale({ key: 'data.img', factor: 3 }), morph({ drop: ['p-013'], split: ['p-042'] })];

export const salt = 'id-column';

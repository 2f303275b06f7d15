/**
 * File names inside a cache folder, for the modules that open, fill, check and delete caches (the
 * marker lists the files the cache makes: see cache-marker.ts). A module of its own, below
 * sample-cache.ts and the modules it uses, so they share the names without importing in a circle.
 */
export const CACHE_FILES = { store: 'cache.mdb', pipeline: 'pipeline.json', manifest: 'manifest.arrow', marker: '.fuseflow-cache.json' } as const;

/** Dataset module for the many-shards test: 24 ids (default export form), a light static pipeline. */
import { setKey } from '../../../src/core/sample.js';
import { sampleIdOf } from '../../../src/core/sample.js';
import { defineOp } from '../../../src/ops/registry.js';

const tag = defineOp<Record<string, never>>({
  name: 'shardTest.tag',
  version: 1,
  kind: 'static',
  module: import.meta.url,
  apply: (s) => setKey(s, 'data.len', sampleIdOf(s).length),
});

export default { ids: Array.from({ length: 24 }, (_, i) => `few-${i}`), staticPipeline: [tag({})], salt: 'few' };

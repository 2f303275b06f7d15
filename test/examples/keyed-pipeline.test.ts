import { describe, expect, it } from 'vitest';
import { keyedPipelineExample } from '../../examples/keyed-pipeline.js';

describe("the README's keyed-pipeline example", () => {
  it('streams all 569 rows in batches of 128', async () => {
    expect(await keyedPipelineExample()).toEqual([128, 128, 128, 128, 57]);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableToIPC, tableFromArrays } from 'apache-arrow';
import { InputError, OpError, createSample, getKey, hasKey, type Sample } from '../../../src/core/index.js';
import { loadTable, parseCsv, pipeline, readRows, runPipeline, type Op } from '../../../src/ops/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-tabular-'));
const csv = join(dir, 'rows.csv');
// FuseMedML's OpReadDataframe fixture (§D.2): rows a..d.
writeFileSync(csv, 'sample_id,data.value1,data.value2\na,10,"5"\nb,7,4\nc,3,3\nd,9,2\n');

async function apply(op: Op<object>, id: string): Promise<Sample> {
  return (await runPipeline(pipeline([op]), createSample(id), { seed: 0, epoch: 0 }))[0] as Sample;
}

describe('tabular rows by id (FuseMedML OpReadDataframe)', () => {
  it('copies the row of the sample id', async () => {
    const s = await apply(readRows({ file: csv, idColumn: 'sample_id', prefix: 'row' }), 'c');
    expect(getKey(s, 'row.data.value1')).toBe(3);
    expect(getKey(s, 'row.data.value2')).toBe(3);
  });

  it('column names may be key paths; columns and rename select what is copied', async () => {
    const s = await apply(readRows({ file: csv, idColumn: 'sample_id', columns: ['data.value2'], rename: { 'data.value2': 'data.value2' } }), 'c');
    expect(getKey(s, 'data.value2')).toBe(3);
    expect(hasKey(s, 'data.value1')).toBe(false);
    const r = await apply(readRows({ file: csv, idColumn: 'sample_id', columns: ['data.value2'], rename: { 'data.value2': 'data.value3' } }), 'c');
    expect(getKey(r, 'data.value3')).toBe(3);
  });

  it('reads Arrow IPC files the same way', async () => {
    const file = join(dir, 'rows.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays({ sampleId: ['a', 'b'], age: Float64Array.from([61, 48]), sex: ['F', 'M'] }), 'file'));
    const s = await apply(readRows({ file }), 'b');
    expect([getKey(s, 'data.age'), getKey(s, 'data.sex')]).toEqual([48, 'M']);
  });

  it('an id not in the table names the id and the file', async () => {
    const err = await apply(readRows({ file: csv, idColumn: 'sample_id' }), 'zz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as Error).message).toContain("id 'zz' is not in the table");
    expect((err as Error).message).toContain(csv);
  });

  it('a malformed row names the file and line', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,x,y\n1,2,3\n2,3\n3,4,5\n');
    expect(() => readRows({ file: bad, idColumn: 'id' })).toThrow(InputError);
    expect(() => loadTable(bad, { idColumn: 'id' })).toThrow(`${bad}:line 3: expected 3 fields`);
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'id,x\n1,2\n1,3\n');
    expect(() => loadTable(dup, { idColumn: 'id' })).toThrow(/line 3: duplicate id '1'/);
    expect(() => loadTable(csv, { idColumn: 'nope' })).toThrow(/id column 'nope' not found/);
  });

  it('parses quotes, escaped quotes, embedded newlines and CRLF', () => {
    const recs = parseCsv('a,"b,c","say ""hi"""\r\n1,"x\ny",3\n');
    expect(recs.map((r) => r.fields)).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['1', 'x\ny', '3'],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2]);
    expect(() => parseCsv('a,"b\n', { file: 'f.csv' })).toThrow('f.csv:line 1: unterminated quoted field');
    expect(() => parseCsv('a,"b"c\n')).toThrow(/after a closing quote/);
  });
});

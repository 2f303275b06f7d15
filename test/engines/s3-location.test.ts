/**
 * `s3://BUCKET/PREFIX` locations (no server, no AWS SDK): bucket and prefix as parsed, the endpoint
 * from the flag or FUSEFLOW_S3_ENDPOINT, and refusals that name what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { isS3Url, parseS3Location, s3Key, s3Url } from '../../src/cache/sharded/shared-location.js';

describe('parseS3Location', () => {
  it('splits bucket and prefix (trailing slashes dropped) and takes the endpoint from the flag, else the environment', () => {
    expect(parseS3Location('s3://lab-cache/brats/v1/', undefined, {})).toEqual({ kind: 's3', bucket: 'lab-cache', prefix: 'brats/v1', endpoint: undefined });
    expect(parseS3Location('s3://lab.cache', undefined, { FUSEFLOW_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual({
      kind: 's3',
      bucket: 'lab.cache',
      prefix: '',
      endpoint: 'http://127.0.0.1:9000',
    });
    expect(parseS3Location('s3://abc/x', 'https://s3.example.org', { FUSEFLOW_S3_ENDPOINT: 'http://127.0.0.1:9000' }).endpoint).toBe('https://s3.example.org');
    expect(parseS3Location('s3://abc/x', undefined, { FUSEFLOW_S3_ENDPOINT: '' }).endpoint).toBeUndefined();
  });

  it('names keys and URLs under the prefix, or at the bucket root without one', () => {
    const loc = parseS3Location('s3://abc/p/q', undefined, {});
    expect(s3Key(loc, 'shards/00000-of-00001/shard.json')).toBe('p/q/shards/00000-of-00001/shard.json');
    expect(s3Url(loc, 'sharded.json')).toBe('s3://abc/p/q/sharded.json');
    expect(s3Url(loc)).toBe('s3://abc/p/q');
    const root = parseS3Location('s3://abc', undefined, {});
    expect(s3Key(root, 'sharded.json')).toBe('sharded.json');
    expect(s3Url(root, 'sharded.json')).toBe('s3://abc/sharded.json');
    expect([isS3Url('s3://abc'), isS3Url('S3://abc'), isS3Url('/shared/s3://x'), isS3Url('./s3')]).toEqual([true, true, false, false]);
  });

  it('refuses bucket names S3 does not allow, empty or dot segments, and endpoints that are not http(s) URLs', () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['s3://Lab/x', undefined, /'Lab' is not an S3 bucket name/],
      ['s3://ab/x', undefined, /'ab' is not an S3 bucket name/],
      ['s3://a..b/x', undefined, /'a\.\.b' is not an S3 bucket name/],
      ['s3:///x', undefined, /'' is not an S3 bucket name/],
      ['s3://abc/x//y', undefined, /the prefix 'x\/\/y' has an empty, '\.' or '\.\.' segment/],
      ['s3://abc/x/../y', undefined, /has an empty, '\.' or '\.\.' segment/],
      ['s3://abc/x', 'ftp://host', /the S3 endpoint 'ftp:\/\/host' is not an http:\/\/ or https:\/\/ URL/],
      ['s3://abc/x', 'localhost:9000', /is not an http:\/\/ or https:\/\/ URL/],
    ];
    for (const [location, endpoint, message] of cases) {
      expect(() => parseS3Location(location, endpoint, {}), location).toThrow(OptionsError);
      expect(() => parseS3Location(location, endpoint, {}), location).toThrow(message);
    }
    expect(() => parseS3Location('s3://abc/x', undefined, { FUSEFLOW_S3_ENDPOINT: 'nope' })).toThrow(/'nope' \(from \$FUSEFLOW_S3_ENDPOINT\) is not an http/);
  });
});

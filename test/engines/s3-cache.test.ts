/**
 * The sharded cache with S3 as its shared location, on a real S3-compatible server (s3rver, its own
 * process, see s3.ts): 240 ids of small images through a real static pipeline filled by 4 OS
 * processes ranked as a Slurm array ranks them, to `s3://BUCKET/PREFIX`. Task 2 is SIGKILLed in
 * the middle of its upload (a proxy holds its manifest upload after cache.mdb went up), the
 * commit then names shard 2 as not published, and the rerun redoes the upload (keeping the
 * complete cache.mdb) without recomputing. After commit and pull, the local copy is compared with
 * a plain single-process cache of the same pipeline: every output's payload hash and the manifest
 * bytes. Also: a damaged object stops a pull (and one of the wrong size a commit); an object
 * fuseflow did not write stops a fill. `cache status` of the location reads no payload; a pull SIGKILLed
 * mid-way leaves its temporary folder (named by its pid), which the next pull to that target removes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CACHE_FILES, openCacheFolder, openSampleCache, type SampleCache } from '../../src/cache/index.js';
import { encodePayload } from '../../src/cache/payload-codec.js';
import { NODE_VERSION_WARNING_SWITCH, S3Objects } from '../../src/cache/sharded/s3-objects.js';
import { requirePlanS3 } from '../../src/cache/sharded/s3-shards.js';
import { shardIds } from '../../src/cache/sharded/shard-assign.js';
import { parseS3Location } from '../../src/cache/sharded/shared-location.js';
import { Rng } from '../../src/core/rng.js';
import { pipeline } from '../../src/ops/pipeline.js';
import { ids, staticPipeline } from '../cache/sharded/shard-dataset.js';
import { runCli } from '../cli/run-cli.js';
import { tempFolder } from '../temp-folder.js';
import { FUSEFLOW_NODE_ARGS } from './redis.js';
import { describeS3, holdingProxy, S3RVER_CREDENTIALS, startS3, type S3Server } from './s3.js';

const { dir } = tempFolder('ff-s3-cache-');
const MODULE = fileURLToPath(new URL('../cache/sharded/shard-dataset.ts', import.meta.url));
const RANK_VARS = /^(SLURM_|RANK$|WORLD_SIZE$|JOB_COMPLETION_|FUSEFLOW_WORLD_SIZE$|FUSEFLOW_S3_ENDPOINT$)/;
const BUCKET = 'fuseflow-test';
/** Longest a fill process may run. */
const TASK_LIMIT_MS = 90_000;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let s3: S3Server;
let saved: Record<string, string | undefined> = {};

/** Runs `fuseflow cache fill` to `to` as Slurm array task `task` of 4; the endpoint by flag, or by FUSEFLOW_S3_ENDPOINT when `byEnv`. */
function arrayTask(
  task: number,
  to: string,
  endpoint: string,
  byEnv = false,
): { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>; kill: () => void } {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !RANK_VARS.test(k)));
  Object.assign(env, S3RVER_CREDENTIALS, { SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_JOB_ID: '77' });
  if (byEnv) env.FUSEFLOW_S3_ENDPOINT = endpoint;
  const args = [...FUSEFLOW_NODE_ARGS, 'cache', 'fill', MODULE, '--shards', '4', '--to', to, '--local', join(dir, `node-${task}`), '--threads', task === 1 ? '1' : '0'];
  if (!byEnv) args.push('--s3-endpoint', endpoint);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // A fill that hangs is ended (and its output shown by the failing assertion) rather than the whole test timing out.
  const timer = setTimeout(() => {
    out += `\n[test] killed after ${TASK_LIMIT_MS} ms`;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, TASK_LIMIT_MS);
  return {
    exited: new Promise((resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, out });
      }),
    ),
    kill: () => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'),
  };
}

/** SHA-256 of every output's encoded payload, by initial id. */
async function payloadHashes(cache: SampleCache): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const id of ids) out[id] = ((await cache.get(id)) ?? []).map((s) => sha(encodePayload(s)));
  return out;
}

describeS3('sharded cache on S3 (s3rver)', () => {
  beforeAll(async () => {
    s3 = await startS3(BUCKET);
    saved = Object.fromEntries(Object.keys(S3RVER_CREDENTIALS).map((k) => [k, process.env[k]]));
    Object.assign(process.env, S3RVER_CREDENTIALS);
  }, 60_000);
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await s3?.stop();
  });

  it('4 Slurm-ranked fills to s3:// (one killed mid-upload and rerun), commit and pull give the cache one process gives', async () => {
    const url = `s3://${BUCKET}/brats/v1`;
    const objects = new S3Objects(parseS3Location(url, s3.endpoint));
    // Reference: the same pipeline as one plain cache.
    const plain = openSampleCache({ dir: join(dir, 'plain'), pipeline: pipeline(staticPipeline, { name: 'static' }), audit: false });
    await plain.fill(ids, { threads: 0 });
    await plain.close();

    // Task 2 goes through a proxy that holds the upload of its manifest: cache.mdb is up, the rest is not.
    const proxy = await holdingProxy(s3.endpoint, 'PUT', /\/shards\/00002-of-00004\/manifest\.arrow(\?|$)/);
    // Task 0 writes the plan objects first. Fillers that start together race to create them, which
    // S3 settles with If-None-Match (the loser's PUT fails 412 and it reads the winner's); s3rver
    // ignores If-None-Match on PUT and rewrites the object in place, so a filler could read another's
    // half-written pipeline.json (CI saw a task exit 1 once). The four fills themselves still overlap.
    const task0 = arrayTask(0, url, s3.endpoint);
    for (
      let waited = 0;
      !(await requirePlanS3(objects).then(
        () => true,
        () => false,
      ));
      waited += 50
    ) {
      if (waited > TASK_LIMIT_MS) throw new Error('task 0 wrote no plan');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const victim = arrayTask(2, url, proxy.endpoint);
    const others = [task0, arrayTask(1, url, s3.endpoint, true), arrayTask(3, url, s3.endpoint)];
    const first = await Promise.race([proxy.held, victim.exited]);
    expect(first, 'task 2 ended before its manifest upload was held').toMatch(/manifest\.arrow/);
    victim.kill();
    const killed = await victim.exited;
    await proxy.close();
    expect(killed.signal).toBe('SIGKILL');
    for (const t of others) {
      const exited = await t.exited;
      expect(exited, `a fill task failed; its output:\n${exited.out}`).toMatchObject({ code: 0, signal: null });
    }
    expect((await others[0]?.exited)?.out).toMatch(
      /shard 00000-of-00004 \(SLURM_ARRAY_TASK_ID\/SLURM_ARRAY_TASK_COUNT\): \d+ ids .* published s3:\/\/fuseflow-test\/brats\/v1\/shards\/00000-of-00004\//,
    );

    // The partial upload: cache.mdb is there, its shard.json (the "complete" marker) is not, so shard 2 is not published.
    const listed = await objects.list('shards/00002-of-00004/');
    expect([...listed.keys()]).toEqual(['shards/00002-of-00004/cache.mdb']);
    // Status from the objects' records (through a proxy that would hold any download of a payload): shard 2 missing, not committed.
    const idsOf = (shards: readonly number[]): number => shards.reduce((n, i) => n + shardIds(ids, i, 4).length, 0);
    const noPayload = await holdingProxy(s3.endpoint, 'GET', /cache\.mdb(\?|$)/);
    const partial = await runCli('cache', 'status', url, '--s3-endpoint', noPayload.endpoint);
    expect(partial.err).toBe('');
    expect(partial.code).toBe(0);
    const sizesNow = await objects.list('shards/');
    const mibOf = (sizes: Map<string, number>): string => ([...sizes.values()].reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(2);
    expect(partial.out).toMatch(new RegExp(`^s3://${BUCKET}/brats/v1\\n {2}key {8}[0-9a-f]{64}\\n`));
    expect(partial.out).toContain(`\n  shards     3 of 4 published, not committed (missing: 2)\n`);
    expect(partial.out).toContain(`\n  entries    ${idsOf([0, 1, 3])} initial ids in the published shards\n`);
    expect(partial.out).toContain(`\n  objects    ${sizesNow.size} under shards/, ${mibOf(sizesNow)} MiB (sizes from the listing; no payload downloaded)\n`);
    expect(partial.out).toContain('\n  manifest   absent (written by fuseflow cache commit)');
    const early = await runCli('cache', 'commit', url, '--s3-endpoint', s3.endpoint);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/1 of 4 shards are not published: 2 /);
    expect(await objects.head('committed.json')).toBeUndefined();

    // Rerun: the shard was filled locally before the kill, so nothing is computed; cache.mdb is kept, the rest uploaded.
    const victimIds = shardIds(ids, 2, 4).length;
    const rerun = await arrayTask(2, url, s3.endpoint).exited;
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain(`${victimIds} ids (${victimIds} already in the local environment, 0 computed`);
    expect(rerun.out).toMatch(/published s3:\/\/fuseflow-test\/brats\/v1\/shards\/00002-of-00004\/ \(1 files kept from an interrupted upload\)/);
    expect([...(await objects.list('shards/00002-of-00004/')).keys()].sort()).toEqual(
      ['cache.mdb', 'manifest.arrow', 'manifest.arrow.sha256', 'shard.json'].map((f) => `shards/00002-of-00004/${f}`),
    );
    const again = await arrayTask(0, url, s3.endpoint).exited;
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/shard 00000-of-00004 .*already published at s3:\/\/fuseflow-test\/brats\/v1\/shards\/00000-of-00004\/; nothing to do/);

    // Commit (endpoint from the environment this time), twice.
    process.env.FUSEFLOW_S3_ENDPOINT = s3.endpoint;
    try {
      const commit = await runCli('cache', 'commit', url);
      expect(commit.code).toBe(0);
      expect(commit.out).toMatch(/^s3:\/\/fuseflow-test\/brats\/v1: committed 4 shards, 240 ids, 241 manifest rows/);
      expect((await runCli('cache', 'commit', url)).out).toMatch(/already committed \(4 shards, 240 ids, 241 manifest rows\)/);
    } finally {
      delete process.env.FUSEFLOW_S3_ENDPOINT;
    }

    // Status once committed: the counts of the single-process cache (entries, dropped, outputs, payload), still without a payload download.
    const reference0 = await openCacheFolder(plain.folder);
    const want = reference0.status();
    await reference0.close();
    const done = await runCli('cache', 'status', url, '--s3-endpoint', noPayload.endpoint);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toContain(`\n  shards     4 (committed; to read it: fuseflow cache pull s3://${BUCKET}/brats/v1 --to LOCAL_DIR)\n`);
    expect(done.out).toContain(
      `\n  entries    ${want.entries} initial ids (${want.dropped} dropped)\n  outputs    ${want.outputs} samples, ${(want.payloadBytes / 2 ** 20).toFixed(2)} MiB of payload\n`,
    );
    expect(done.out).toContain('\n  manifest   manifest.arrow (241 rows)');
    expect(done.out).toContain('\n  ops        ');
    const heldPath = await Promise.race([noPayload.held, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    expect(heldPath, 'status downloaded a payload').toBeUndefined();
    await noPayload.close();

    // Pull to local disk (twice: the second is a no-op), then compare with the plain cache.
    const pulled = await runCli('cache', 'pull', url, '--to', join(dir, 'pulled'), '--s3-endpoint', s3.endpoint);
    expect(pulled.code).toBe(0);
    expect(pulled.out).toMatch(/pulled 4 shards \(.* MiB, SHA-256 checked\) from s3:\/\/fuseflow-test\/brats\/v1 to /);
    expect((await runCli('cache', 'pull', url, '--to', join(dir, 'pulled'), '--s3-endpoint', s3.endpoint)).out).toMatch(/already a copy of this commit/);
    const reference = await openCacheFolder(plain.folder);
    const local = await openCacheFolder(join(dir, 'pulled'));
    const hashes = await payloadHashes(reference);
    expect(Object.values(hashes).flat()).toHaveLength(240); // 239 kept (case-007 dropped), case-013 split in two
    expect(await payloadHashes(local)).toEqual(hashes);
    const manifestBytes = readFileSync(join(plain.folder, CACHE_FILES.manifest));
    expect(readFileSync(join(dir, 'pulled', CACHE_FILES.manifest))).toEqual(manifestBytes);
    expect(await objects.getSmall(CACHE_FILES.manifest)).toEqual(manifestBytes);
    for (const c of [reference, local]) await c.close();
    const status = await runCli('cache', 'status', join(dir, 'pulled'));
    expect(status.out).toMatch(/shards {5}4 \(committed/);

    // A pull SIGKILLed mid-way (held by the test hook at its first atomic write) leaves its temporary folder, named by its pid; the next pull to that target removes it.
    const fifo = join(dir, 'pull.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const puller = spawn(process.execPath, [...FUSEFLOW_NODE_ARGS, 'cache', 'pull', url, '--to', join(dir, 'pulled-2'), '--s3-endpoint', s3.endpoint], {
      env: { ...process.env, ...S3RVER_CREDENTIALS, FUSEFLOW_TEST_PAUSE_BEFORE_RENAME: fifo },
      stdio: 'ignore',
    });
    const pullerExit = new Promise((r) => puller.on('exit', r));
    expect(await readFile(fifo, 'utf8')).toMatch(new RegExp(`^held ${dir}/\\.pulled-2\\.tmp-${puller.pid}-`));
    puller.kill('SIGKILL');
    await pullerExit;
    const leftover = readdirSync(dir).filter((n) => n.startsWith('.pulled-2.tmp-'));
    expect(leftover).toHaveLength(1);
    expect((await runCli('cache', 'pull', url, '--to', join(dir, 'pulled-2'), '--s3-endpoint', s3.endpoint)).code).toBe(0);
    expect(readdirSync(dir).filter((n) => n.startsWith('.pulled-2'))).toEqual([]);
    expect(readFileSync(join(dir, 'pulled-2', CACHE_FILES.manifest))).toEqual(manifestBytes);

    // A damaged object (same size, other bytes) stops a pull, which leaves nothing behind.
    const key = 'brats/v1/shards/00001-of-00004/cache.mdb';
    const size = (await objects.head('shards/00001-of-00004/cache.mdb'))?.bytes ?? 0;
    const raw = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(size, 7) }));
    const bad = await runCli('cache', 'pull', url, '--to', join(dir, 'pulled-bad'), '--s3-endpoint', s3.endpoint);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/s3:\/\/fuseflow-test\/brats\/v1\/shards\/00001-of-00004\/cache\.mdb: does not match its recorded size and SHA-256/);
    expect(existsSync(join(dir, 'pulled-bad'))).toBe(false);
    // An object of another size than its shard record says makes commit name the shard and the object.
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'brats/v1/shards/00003-of-00004/manifest.arrow.sha256', Body: 'x\n' }));
    const recommit = await runCli('cache', 'commit', url, '--s3-endpoint', s3.endpoint);
    expect(recommit.code).toBe(1);
    expect(recommit.err).toMatch(/shard 00003-of-00004: s3:\/\/fuseflow-test\/brats\/v1\/shards\/00003-of-00004\/manifest\.arrow\.sha256 has 2 bytes, its shard record says 65/);
    // Status names the damaged shard and says the commit no longer matches.
    const damaged = await runCli('cache', 'status', url, '--s3-endpoint', s3.endpoint);
    expect(damaged.code).toBe(0);
    expect(damaged.out).toContain('\n  shards     3 of 4 published, committed, but a shard changed or was damaged since (fix it, then run fuseflow cache commit again)\n');
    expect(damaged.out).toMatch(
      /\n {2}damaged {4}shard 3: s3:\/\/fuseflow-test\/brats\/v1\/shards\/00003-of-00004\/manifest\.arrow\.sha256 has 2 bytes, its shard record says 65\n/,
    );
    // status takes --s3-endpoint only with an s3:// location; verify and delete are for local copies.
    expect((await runCli('cache', 'status', join(dir, 'pulled'), '--s3-endpoint', s3.endpoint)).code).toBe(2);
    const verifyS3 = await runCli('cache', 'verify', url);
    expect(verifyS3.code).toBe(2);
    expect(verifyS3.err).toContain(`fuseflow cache verify: ${url}: not for an s3:// location; pull it to local disk first`);
    raw.destroy();
    objects.close();
  }, 240_000);

  it('refuses to overwrite an object fuseflow did not write, and leaves it as it was', async () => {
    const raw = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    const foreign = Buffer.from('not a manifest: somebody else’s object\n');
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other/shards/00000-of-00004/manifest.arrow', Body: foreign }));
    const run = await runCli(
      'cache',
      'fill',
      MODULE,
      '--shards',
      '4',
      '--index',
      '0',
      '--to',
      `s3://${BUCKET}/other`,
      '--local',
      join(dir, 'node-f'),
      '--threads',
      '0',
      '--s3-endpoint',
      s3.endpoint,
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /s3:\/\/fuseflow-test\/other\/shards\/00000-of-00004\/manifest\.arrow: exists and was not written by fuseflow for this cache \(no fuseflow metadata\); refusing to overwrite it/,
    );
    const objects = new S3Objects(parseS3Location(`s3://${BUCKET}/other`, s3.endpoint));
    expect(await objects.getSmall('shards/00000-of-00004/manifest.arrow')).toEqual(foreign);
    expect([...(await objects.list('shards/')).keys()]).toEqual(['shards/00000-of-00004/manifest.arrow']);
    objects.close();
    raw.destroy();

    // Usage: --s3-endpoint belongs to an s3:// location; a bad bucket name is named.
    expect((await runCli('cache', 'commit', join(dir, 'x'), '--s3-endpoint', s3.endpoint)).err).toMatch(/--s3-endpoint goes with an s3:\/\/BUCKET\/PREFIX location/);
    const badBucket = await runCli('cache', 'commit', 's3://No_Such/x', '--s3-endpoint', s3.endpoint);
    expect(badBucket.code).toBe(1);
    expect(badBucket.err).toMatch(/'No_Such' is not an S3 bucket name/);
  }, 120_000);

  it('uploads a file larger than the part size in parts, with its metadata; the download has the same bytes', async () => {
    const objects = new S3Objects(parseS3Location(`s3://${BUCKET}/parts`, s3.endpoint), 5 * 2 ** 20);
    const bytes = new Uint8Array(11 * 2 ** 20 + 123); // 3 parts: 5 MiB, 5 MiB, 1 MiB + 123 bytes
    const rng = Rng.fromParts(['s3-multipart']);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = rng.int(0, 255);
    const file = join(dir, 'big.bin');
    writeFileSync(file, bytes);
    await objects.upload('big.bin', file, bytes.length, sha(bytes), 'k'.repeat(64));
    expect(await objects.head('big.bin')).toEqual({ bytes: bytes.length, meta: { 'fuseflow-cache': 'k'.repeat(64), 'fuseflow-sha256': sha(bytes) } });
    expect(await objects.download('big.bin', join(dir, 'big.back'))).toEqual({ bytes: bytes.length, sha256: sha(bytes) });
    objects.close();
  });
});

describe('s3:// support is loaded only when used', () => {
  it('a cache command on a folder loads no AWS SDK module; one on s3:// does, names an endpoint it cannot reach, and prints no Node version warning of the SDK', () => {
    const probe = `data:text/javascript,import M from 'node:module';process.on('exit',()=>process.stderr.write('aws-sdk modules: '+Object.keys(M._cache).filter((k)=>k.includes('@aws-sdk')).length+'\\n'))`;
    const run = (...args: string[]): { status: number | null; stderr: string } =>
      spawnSync(process.execPath, ['--import', probe, ...FUSEFLOW_NODE_ARGS, 'cache', 'commit', ...args], {
        encoding: 'utf8',
        // Without the SDK's switch for its Node version warning (this test process may have set it): fuseflow sets it itself.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== NODE_VERSION_WARNING_SWITCH)), ...S3RVER_CREDENTIALS, AWS_MAX_ATTEMPTS: '1' },
      });
    const folder = run(join(dir, 'not-a-cache'));
    expect(folder.status).toBe(1);
    expect(folder.stderr).toMatch(/not a sharded cache/);
    expect(folder.stderr).toMatch(/aws-sdk modules: 0\n/);
    const s3 = run('s3://fuseflow-test/x', '--s3-endpoint', 'http://127.0.0.1:1');
    expect(s3.status).toBe(1);
    expect(s3.stderr).toMatch(/s3:\/\/fuseflow-test\/x\/sharded\.json: cannot read \(cannot reach the S3 endpoint \(ECONNREFUSED\)/);
    expect(s3.stderr).toMatch(/aws-sdk modules: [1-9]/);
    // The SDK's NodeVersionSupportWarning (Node < 22) is not printed; other warnings would be.
    expect(s3.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  }, 60_000);
});

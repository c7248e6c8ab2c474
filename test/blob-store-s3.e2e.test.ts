/**
 * `serve --blob-store s3://…` with the real server as a child process and s3rver as the
 * S3-compatible server (docs/blob-store.md). Instances arrive by STOW-RS (a small CT, a ~10 MB
 * multi-frame object sent as a multipart upload) and by C-STORE (DCMTK storescu); each is
 * acknowledged only once S3 holds it, so right after the acknowledgements the bucket lists them
 * all under the prefix and the data directory holds no instance bytes. WADO-RS instance, frames
 * and rendered answers are then compared byte for byte with what was sent and with the same
 * requests to a server on the default file store. A bucket that does not exist stops start-up
 * with a message that says so.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../src/archive/blob/s3-client.js';
import { startTestS3, type TestS3 } from '../src/archive/blob/test-support.js';
import { ROOT, ctInstance, encapsulatedInstance } from '../src/dicom/test-support.js';
import { dcmtkAvailable, storeFiles } from './support/dcmtk.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { freePort } from './support/ports.js';
import { spawnManaged } from './support/process.js';
import { BRIDGE_ENTRY, REPO_ROOT, bridgeBuilt, startTestServer, type SpawnedServer } from './support/server.js';

const STUDY = `${ROOT}.91.${process.pid}`;
const SERIES = `${STUDY}.1`;
const ct = (n: number) => ctInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.${n}`, rows: 64, columns: 64 });
const FRAMES = Array.from({ length: 10 }, (_, i) =>
  Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(1024 * 1024 + 2 * i, i + 1), Buffer.from([0xff, 0xd9])]),
);
const multiFrame = encapsulatedInstance({ study: STUDY, series: SERIES, sop: `${SERIES}.9`, frames: FRAMES });
const SENT = new Map([
  [`${SERIES}.1`, ct(1)],
  [`${SERIES}.9`, multiFrame],
  [`${SERIES}.2`, ct(2)],
]);

const STOWED = [`${SERIES}.1`, `${SERIES}.9`];

const ready = bridgeBuilt() && dcmtkAvailable(['storescu']);

async function stow(server: SpawnedServer, files: Buffer[]): Promise<void> {
  const { body, contentType } = multipartBody(files);
  const res = await fetch(`${server.dicomweb}/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/dicom+json' },
    body,
  });
  expect(res.status).toBe(200);
}

async function cstore(server: SpawnedServer, file: Buffer): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-s3-cstore-'));
  writeFileSync(join(dir, 'ct2.dcm'), file);
  const r = await storeFiles('127.0.0.1', server.dicomPort, 'IMGBRIDGE', [dir]);
  rmSync(dir, { recursive: true, force: true });
  expect(r.code, r.stderr).toBe(0);
}

async function get(server: SpawnedServer, path: string, accept: string): Promise<{ type: string; body: Buffer }> {
  const res = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${path}`, {
    headers: { accept },
  });
  expect(res.status, path).toBe(200);
  return { type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

const parts = (r: { type: string; body: Buffer }) => splitMultipart(r.body, r.type).map((p) => p.data);

describe.skipIf(!ready)('serve --blob-store s3:// (real server process, s3rver)', () => {
  let s3: TestS3;
  let onS3: SpawnedServer;
  let onFiles: SpawnedServer;

  beforeAll(async () => {
    s3 = await startTestS3('ib-e2e-blobs');
    onS3 = await startTestServer(
      { 'blob-store': `s3://${s3.bucket}/site-a/archive`, 'log-level': 'warn' },
      { spawn: { env: s3.env, startTimeoutMs: 120_000 } },
    );
    onFiles = await startTestServer({ 'log-level': 'warn' }, { spawn: { startTimeoutMs: 120_000 } });
  }, 300_000);

  afterAll(async () => {
    await onS3?.stop();
    await onFiles?.stop();
    await s3?.stop();
  });

  it('stores STOW-RS and C-STORE instances in the bucket before acknowledging them', async () => {
    for (const server of [onS3, onFiles]) {
      await stow(server, [SENT.get(`${SERIES}.1`)!, multiFrame]);
      await cstore(server, SENT.get(`${SERIES}.2`)!);
    }
    const client = createS3Client(s3.connection);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'site-a/archive/' }));
    client.destroy();
    const sizes = new Set((listed.Contents ?? []).map((o) => o.Size));
    expect(listed.Contents).toHaveLength(3);
    for (const sop of STOWED) expect(sizes.has(SENT.get(sop)!.length), sop).toBe(true);
    for (const o of listed.Contents ?? []) expect(o.Key).toMatch(new RegExp(`^site-a/archive/[0-9a-f]{2}/${STUDY}/`));
    // No instance bytes on the local disk: no packs, no object files, an empty spool.
    expect(existsSync(join(onS3.dataDir, 'packs'))).toBe(false);
    expect(existsSync(join(onS3.dataDir, 'blobs'))).toBe(false);
    expect(readdirSync(join(onS3.dataDir, 'tmp'))).toEqual([]);
  });

  it('serves every instance byte-identical over WADO-RS (as sent, and as the file store serves it)', async () => {
    const accept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
    for (const [sop, sent] of SENT) {
      const got = parts(await get(onS3, sop, accept));
      expect(got).toHaveLength(1);
      // A C-STORE instance is kept with a File Meta made from the command: not the file storescu read.
      if (STOWED.includes(sop)) expect(got[0]!.equals(sent), sop).toBe(true);
      expect(got[0]!.equals(parts(await get(onFiles, sop, accept))[0]!), sop).toBe(true);
    }
  });

  it('serves frames by ranged reads, byte-identical to what was sent and to the file store', async () => {
    const accept = 'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.50';
    const frames = parts(await get(onS3, `${SERIES}.9/frames/2,10`, accept));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.equals(FRAMES[1]!)).toBe(true);
    expect(frames[1]!.equals(FRAMES[9]!)).toBe(true);
    const native = 'multipart/related; type="application/octet-stream"';
    const fromS3 = parts(await get(onS3, `${SERIES}.1/frames/1`, native));
    const fromFiles = parts(await get(onFiles, `${SERIES}.1/frames/1`, native));
    expect(fromS3[0]!.length).toBe(64 * 64 * 2);
    expect(fromS3[0]!.equals(fromFiles[0]!)).toBe(true);
  });

  it('renders the same image bytes as the file store', async () => {
    for (const sop of [`${SERIES}.1`, `${SERIES}.2`]) {
      const a = await get(onS3, `${sop}/rendered`, 'image/png');
      const b = await get(onFiles, `${sop}/rendered`, 'image/png');
      expect(a.type).toBe('image/png');
      expect(a.body.equals(b.body), sop).toBe(true);
    }
  });

  it('answers pack compaction with the reason there is none: idle with a reason, a start refused with 409', async () => {
    const url = `${onS3.url}/api/admin/storage/compaction`;
    const status = (await (await fetch(url)).json()) as { state: string; reason: string };
    expect(status).toEqual({
      state: 'idle',
      reason: `objects are stored in s3://${s3.bucket}/site-a/archive: there are no pack files to compact`,
    });
    const start = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(start.status).toBe(409);
    expect(((await start.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics).toBe(status.reason);
    expect(((await (await fetch(url)).json()) as { state: string }).state).toBe('idle');
  });

  it('refuses to start on a bucket that does not exist, saying so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ib-s3-nobucket-'));
    const args = [BRIDGE_ENTRY, 'serve', '--auth', 'none', '--data-dir', dataDir];
    args.push('--http-port', String(await freePort()), '--dicom-port', String(await freePort()));
    args.push('--blob-store', 's3://no-such-bucket/x');
    const proc = spawnManaged(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...s3.env },
      name: 'server on a missing bucket',
    });
    const { code } = await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.audit-key`, { force: true });
    expect(code).not.toBe(0);
    expect(proc.output()).toMatch(/blob store s3:\/\/no-such-bucket\/x\/ cannot be used: the bucket does not exist/);
    expect(proc.output()).not.toMatch(/NodeVersionSupportWarning/);
  });
});

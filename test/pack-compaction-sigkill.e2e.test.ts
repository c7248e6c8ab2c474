/**
 * Pack compaction under SIGKILL, with the real server as a child process (docs/storage.md).
 * Three studies are stored by STOW-RS into the packs, two are deleted, and a compaction is
 * started through POST /api/admin/storage/compaction, paced so that it is slow enough to be hit:
 * the server is killed once while it copies, restarted (it resumes the run by itself), killed
 * again in the grace between the index switch and the removal of the old segments, and restarted
 * once more. Reads keep being served while the run copies. At the end every instance still held
 * is retrieved byte-identical (WADO-RS, transfer-syntax=*), the deleted ones are gone, and the
 * packs hold little more than the kept instances: the deleted space and what the killed runs
 * left behind are reclaimed.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { freePort } from './support/ports.js';
import { spawnManaged, waitForHttpOk, type ManagedProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PER_STUDY = 40;

interface Server {
  proc: ManagedProcess;
  base: string;
}

async function startServer(dataDir: string): Promise<Server> {
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--auth', 'none', '--http-port', String(httpPort)];
  args.push('--dicom-port', String(dicomPort), '--data-dir', dataDir, '--log-level', 'warn');
  const proc = spawnManaged(process.execPath, args, { cwd: REPO, name: 'server under compaction' });
  await waitForHttpOk(`http://127.0.0.1:${httpPort}/health`, proc, 60_000, 'server under compaction');
  return { proc, base: `http://127.0.0.1:${httpPort}` };
}

async function kill(server: Server): Promise<void> {
  server.proc.child.kill('SIGKILL');
  await server.proc.exited;
}

interface Status {
  state: string;
  resumed?: boolean;
  progress?: { phase: string; bytesCopied: number; segmentsRemoved: number };
}

const status = async (s: Server): Promise<Status> =>
  (await (await fetch(`${s.base}/api/admin/storage/compaction`)).json()) as Status;

async function retrieve(s: Server, study: string, series: string, sop: string): Promise<Buffer | number> {
  const res = await fetch(`${s.base}/dicomweb/studies/${study}/series/${series}/instances/${sop}`, {
    headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  if (res.status !== 200) return res.status;
  const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
  return parts[0]!.data;
}

const packFiles = (dataDir: string) => readdirSync(join(dataDir, 'packs')).filter((n) => n.endsWith('.pack'));
const packBytes = (dataDir: string) =>
  packFiles(dataDir).reduce((n, f) => n + statSync(join(dataDir, 'packs', f)).size, 0);

describe('pack compaction killed midway (real server process, SIGKILL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-compaction-kill-'));
  let server: Server | undefined;
  afterAll(async () => {
    await server?.proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after each kill, keeps every instance byte-identical and reclaims the space', async () => {
    server = await startServer(dataDir);
    const studies = [1, 2, 3].map((n) => ({
      study: `${ROOT}.73.${process.pid}.${n}`,
      series: `${ROOT}.73.${process.pid}.${n}.1`,
    }));
    const sent = new Map<string, { study: string; series: string; bytes: Buffer }>();
    for (const { study, series } of studies) {
      const files = Array.from({ length: PER_STUDY }, (_, i) => {
        const sop = `${series}.${i + 1}`;
        const bytes = ctInstance({ study, series, sop, rows: 48, columns: 48 + i, description: `compaction ${study}` });
        sent.set(sop, { study, series, bytes });
        return bytes;
      });
      const { body, contentType } = multipartBody(files, `compaction-${series}`);
      const res = await fetch(`${server.base}/dicomweb/studies`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      expect(res.status).toBe(200);
    }
    for (const { study } of studies.slice(1)) {
      expect((await fetch(`${server.base}/dicomweb/studies/${study}`, { method: 'DELETE' })).status).toBe(200);
    }
    const kept = [...sent].filter(([, s]) => s.study === studies[0]!.study);
    const keptBytes = kept.reduce((n, [, s]) => n + s.bytes.length, 0);
    const before = packBytes(dataDir);
    expect(before).toBeGreaterThan(keptBytes * 2.5);

    // Slow enough (about 3 s for what is kept) to be killed while it copies; reads go on meanwhile.
    const start = await fetch(`${server.base}/api/admin/storage/compaction`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxBytesPerSecond: Math.round(keptBytes / 3), graceSeconds: 5 }),
    });
    expect(start.status).toBe(202);
    const again = await fetch(`${server.base}/api/admin/storage/compaction`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(again.status).toBe(409);
    await waitFor(async () => ((await status(server!)).progress?.bytesCopied ?? 0) > 0, { what: 'copying' });
    for (const [sop, s] of kept.slice(0, 10)) expect(await retrieve(server, s.study, s.series, sop)).toEqual(s.bytes);
    expect((await status(server)).progress?.phase).toBe('copying');
    await kill(server);

    server = await startServer(dataDir);
    const resumed = await status(server);
    expect(resumed).toMatchObject({ state: 'running', resumed: true });
    await waitFor(async () => (await status(server!)).progress?.phase === 'grace', {
      what: 'grace',
      timeoutMs: 30_000,
    });
    // The index names the copies now; the old segments are still there for reads begun before.
    for (const [sop, s] of kept.slice(0, 10)) expect(await retrieve(server, s.study, s.series, sop)).toEqual(s.bytes);
    await kill(server);

    server = await startServer(dataDir);
    const final = await waitFor(
      async () => {
        const st = await status(server!);
        return st.state === 'done' ? st : undefined;
      },
      { what: 'compaction done', timeoutMs: 60_000 },
    );
    expect(final.resumed).toBe(true);
    for (const [sop, s] of kept) expect(await retrieve(server, s.study, s.series, sop)).toEqual(s.bytes);
    for (const [sop, s] of [...sent].filter(([, v]) => v.study !== studies[0]!.study).slice(0, 5))
      expect(await retrieve(server, s.study, s.series, sop)).toBe(404);
    // Each record adds a header and a small note to its instance; nothing else is left.
    const after = packBytes(dataDir);
    expect(after).toBeLessThan(keptBytes * 1.1);
    expect(after).toBeGreaterThanOrEqual(keptBytes);
    const left = readdirSync(join(dataDir, 'packs'));
    expect(left).not.toContain('compaction.json');
    expect(left.filter((n) => n.endsWith('.writer'))).toHaveLength(1); // the running server's own
  }, 240_000);
});

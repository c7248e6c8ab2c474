/**
 * `imaging-bridge import` stores through the same path as the server: small objects go to pack
 * segments of the import's own (docs/storage.md), not to files beside the packs, even while the
 * server runs and stores into its own segment. Real processes: the server and the import are
 * children; the server serves what the import stored, byte-identical, and a compaction afterwards
 * takes the import's segment like any other.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { freePort } from './support/ports.js';
import { spawnManaged, waitForHttpOk, type ManagedProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

function importCli(dataDir: string, path: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'import', '--data-dir', dataDir, '--jobs', '2', path],
      { cwd: REPO },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

async function retrieve(base: string, study: string, series: string, sop: string): Promise<Buffer> {
  const res = await fetch(`${base}/dicomweb/studies/${study}/series/${series}/instances/${sop}`, {
    headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  expect(res.status).toBe(200);
  return splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '')[0]!.data;
}

describe('imaging-bridge import beside a running server (one storage path: packs)', () => {
  const work = mkdtempSync(join(tmpdir(), 'ib-import-packs-'));
  const dataDir = join(work, 'data');
  let server: ManagedProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('appends to segments of its own while the server stores into its own, and the server serves both', async () => {
    const [httpPort, dicomPort] = [await freePort(), await freePort()];
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--auth', 'none', '--http-port', String(httpPort)];
    args.push('--dicom-port', String(dicomPort), '--data-dir', dataDir, '--log-level', 'warn');
    server = spawnManaged(process.execPath, args, { cwd: REPO, name: 'server beside an import' });
    const base = `http://127.0.0.1:${httpPort}`;
    await waitForHttpOk(`${base}/health`, server, 60_000, 'server beside an import');

    const study = `${ROOT}.74.${process.pid}`;
    const imported = new Map<string, Buffer>();
    mkdirSync(join(work, 'in'));
    for (let i = 1; i <= 30; i++) {
      const sop = `${study}.1.${i}`;
      const bytes = ctInstance({ study, series: `${study}.1`, sop, rows: 32, columns: 32 + i });
      imported.set(sop, bytes);
      writeFileSync(join(work, 'in', `${i}.dcm`), bytes);
    }
    const stowed = new Map<string, Buffer>();
    for (let i = 1; i <= 10; i++) {
      const sop = `${study}.2.${i}`;
      stowed.set(sop, ctInstance({ study, series: `${study}.2`, sop, rows: 32, columns: 40 + i }));
    }
    const { body, contentType } = multipartBody([...stowed.values()], 'beside-import');
    const [run, stow] = await Promise.all([
      importCli(dataDir, join(work, 'in')),
      fetch(`${base}/dicomweb/studies`, { method: 'POST', headers: { 'content-type': contentType }, body }),
    ]);
    expect(run.out).toContain('30 stored');
    expect(run.code).toBe(0);
    expect(stow.status).toBe(200);

    // No files beside the packs: every object is a pack record, the import's in a segment of its own.
    expect(readdirSync(join(dataDir, 'blobs'))).toEqual([]);
    const db = new Database(join(dataDir, 'index.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT sop_uid AS sop, blob_key AS key, source FROM instances').all() as {
      sop: string;
      key: string;
      source: string;
    }[];
    db.close();
    expect(rows).toHaveLength(40);
    const segmentsOf = (source: string) =>
      new Set(rows.filter((r) => r.source === source).map((r) => /^p\/(\d+)\//.exec(r.key)?.[1]));
    expect(segmentsOf('import').size).toBe(1);
    expect(segmentsOf('STOW-RS').size).toBe(1);
    expect([...segmentsOf('import')][0]).not.toBe([...segmentsOf('STOW-RS')][0]);
    expect([...segmentsOf('import')][0]).toBeDefined();

    for (const [sop, bytes] of imported) expect(await retrieve(base, study, `${study}.1`, sop)).toEqual(bytes);
    for (const [sop, bytes] of stowed) expect(await retrieve(base, study, `${study}.2`, sop)).toEqual(bytes);

    // The import's segment, sealed now that it ended, is compacted like the server's.
    expect((await fetch(`${base}/dicomweb/studies/${study}/series/${study}.1`, { method: 'DELETE' })).status).toBe(200);
    const start = await fetch(`${base}/api/admin/storage/compaction`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ graceSeconds: 0 }),
    });
    expect(start.status).toBe(202);
    const done = await waitFor(
      async () => {
        const st = (await (await fetch(`${base}/api/admin/storage/compaction`)).json()) as {
          state: string;
          progress: { segmentsRemoved: number };
        };
        return st.state === 'done' ? st : undefined;
      },
      { what: 'compaction done', timeoutMs: 30_000 },
    );
    expect(done.progress.segmentsRemoved).toBeGreaterThanOrEqual(1);
    const left = readdirSync(join(dataDir, 'packs'));
    expect(left).not.toContain(`${String([...segmentsOf('import')][0]).padStart(8, '0')}.pack`);
    for (const [sop, bytes] of stowed) expect(await retrieve(base, study, `${study}.2`, sop)).toEqual(bytes);
  }, 180_000);
});

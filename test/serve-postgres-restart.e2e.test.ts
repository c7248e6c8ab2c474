/**
 * Fault test of issue 22 with a real process: `serve` on a PostgreSQL database (a throwaway
 * cluster of this suite's own) and a bucket (s3rver). PostgreSQL is restarted (fast shutdown, down
 * for two seconds, started again) while STOW-RS and C-STORE run against it: every request is
 * acknowledged or answered with an error status, the server stays up and stores again once
 * PostgreSQL is back, nothing acknowledged is lost, FHIR catches up and the audit chain verifies.
 * (Before session 13 the process died: an 'error' event on a checked-out pg client.)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../src/archive/blob/test-support.js';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { datasetOffset } from '../src/dicom/index.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { dcmtkAvailable, runDcmtk } from './support/dcmtk.js';
import { imagingStudies, type Json } from './support/http.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { bridgeBuilt, type SpawnedServer, startTestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const db = testDatabase('ib_serve_restart');
const built = bridgeBuilt();
const skip = db.skip ?? (built ? undefined : 'dist/cli/main.js not built (npm run build)');
const haveStorescu = dcmtkAvailable(['storescu']);
const BASE = `${ROOT}.96.${process.pid}`;
/** Short, so outbox rows claimed by a sync whose connection the restart cut are synced again within the test. */
const CLAIM_MS = 3000;
const REPO = new URL('..', import.meta.url).pathname;
let s3: TestS3 | undefined;
const servers: SpawnedServer[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (skip) return;
  await db.setup();
  s3 = await startTestS3('ib-e2e-serve-restart');
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  await s3?.stop();
  await db.teardown();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(): Promise<SpawnedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-serve-fault-'));
  dirs.push(dataDir);
  const s = await startTestServer(
    {
      'data-dir': dataDir,
      database: db.url(),
      'audit-key-file': db.auditKeyFile,
      'blob-store': `s3://${s3!.bucket}/shared`,
      'log-level': 'warn',
    },
    { spawn: { startTimeoutMs: 120_000, env: s3!.env }, configFile: { bridge: { outboxClaimMs: CLAIM_MS } } },
  );
  servers.push(s);
  return s;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const datasetSha = (file: Buffer): string => sha(file.subarray(datasetOffset(file.subarray(0, 4096)) ?? 0));

interface Sent {
  study: string;
  sop: string;
  bytes: Buffer;
  via: 'stow' | 'c-store';
  /** The HTTP port of the instance it was sent to. */
  to: number;
}

/** What was sent and what was acknowledged, for the checks after the fault. */
class Ledger {
  readonly sent = new Map<string, Sent>();
  readonly acked = new Map<string, Sent>();
  /** Answers other than an acknowledgement: HTTP status, DIMSE failure, or a transport error. */
  readonly refused: string[] = [];
  private next = 1;
  constructor(private readonly studies: string[]) {}

  instance(via: Sent['via'], to: SpawnedServer): Sent {
    const n = this.next++;
    const study = this.studies[n % this.studies.length]!;
    const sop = `${study}.1.${n}`;
    const s = {
      study,
      sop,
      via,
      to: to.httpPort,
      bytes: ctInstance({ study, series: `${study}.1`, sop, rows: 16, columns: 16 }),
    };
    this.sent.set(sop, s);
    return s;
  }

  ackedVia(pred: (s: Sent) => boolean): number {
    let n = 0;
    for (const s of this.acked.values()) if (pred(s)) n++;
    return n;
  }
}

/** One instance by STOW-RS: acknowledged on 200 only. */
async function stowOne(server: SpawnedServer, ledger: Ledger): Promise<Sent | undefined> {
  const s = ledger.instance('stow', server);
  const { body, contentType } = multipartBody([s.bytes]);
  try {
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    await res.arrayBuffer();
    if (res.status === 200) return s;
    ledger.refused.push(`STOW ${res.status}`);
  } catch (e) {
    ledger.refused.push(`STOW ${(e as Error).cause ?? e}`);
  }
  return undefined;
}

/** One instance by C-STORE (one storescu association): acknowledged when storescu logged Success or Warning. */
async function cStoreOne(server: SpawnedServer, ledger: Ledger, dir: string): Promise<Sent | undefined> {
  const s = ledger.instance('c-store', server);
  const path = join(dir, `${s.sop}.dcm`);
  writeFileSync(path, s.bytes);
  const r = await runDcmtk(
    'storescu',
    ['-v', '-aec', 'IMGBRIDGE', '-aet', 'FAULT', '127.0.0.1', String(server.dicomPort), path],
    { allowFailure: true, timeoutMs: 60_000 },
  ).catch(() => ({ code: -1, stdout: '', stderr: 'timed out' }));
  rmSync(path, { force: true });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/Received Store Response \((Success|Warning)/.test(out)) return s;
  const status = /Received Store Response \(([^)]*)\)/.exec(out)?.[1];
  ledger.refused.push(`C-STORE ${status ?? `exit ${r.code}`}`);
  return undefined;
}

/** Sends one instance after another until `stop()` says so. */
async function lane(send: () => Promise<Sent | undefined>, ledger: Ledger, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const s = await send();
    if (s) ledger.acked.set(s.sop, s);
  }
}

/**
 * Checks through `server`: every acknowledged instance found by QIDO-RS and retrieved identical
 * by WADO-RS, nothing found that was not sent; returns each study's stored count.
 */
async function checkArchive(server: SpawnedServer, ledger: Ledger, studies: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const study of studies) {
    const res = await fetch(`${server.dicomweb}/studies/${study}`, {
      headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const parts =
      res.status === 200
        ? splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '')
        : [];
    const hashes = new Set(parts.map((p) => sha(p.data)));
    const datasets = new Set(parts.map((p) => datasetSha(p.data)));
    expect(datasets.size, `the same data set twice in ${study}`).toBe(parts.length);
    const acked = [...ledger.acked.values()].filter((s) => s.study === study);
    const missing = acked.filter((s) =>
      s.via === 'c-store' ? !datasets.has(datasetSha(s.bytes)) : !hashes.has(sha(s.bytes)),
    );
    expect(
      missing.map((s) => `${s.sop} (${s.via})`),
      `acknowledged instances of ${study} not retrieved identical`,
    ).toEqual([]);
    const sentDatasets = new Set([...ledger.sent.values()].map((s) => datasetSha(s.bytes)));
    expect(
      [...datasets].filter((h) => !sentDatasets.has(h)),
      `stored data sets nobody sent (${study})`,
    ).toEqual([]);
    const qido = await fetch(`${server.dicomweb}/studies/${study}/instances?limit=1000`);
    const found = qido.status === 204 ? [] : ((await qido.json()) as Json[]);
    expect(found.length, `QIDO-RS and WADO-RS of ${study} agree`).toBe(parts.length);
    counts.set(study, parts.length);
  }
  return counts;
}

/**
 * Every study in FHIR exactly once with the stored count, and written no more often than it
 * changed: each version in its history holds more instances than the one before (a sync repeated
 * by a second instance would leave two versions with the same count).
 */
async function checkFhir(server: SpawnedServer, counts: Map<string, number>): Promise<void> {
  const fhir = `${server.url}/fhir`;
  for (const [study, count] of counts) {
    if (count === 0) continue;
    let seen = '';
    await waitFor(
      async () => {
        const found = await imagingStudies(fhir, study);
        seen = JSON.stringify(found.map((r) => [r.id, r.meta?.versionId, r.numberOfInstances]));
        return found.length === 1 && found[0].numberOfInstances === count ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `one ImagingStudy of ${study} with ${count} instances` },
    ).catch(async (e) => {
      const pool = openPool(db.url(), { max: 1 });
      const row = await pool.query('SELECT * FROM archive.sync_outbox WHERE study_uid = $1', [study]);
      const state = await pool.query('SELECT * FROM archive.sync_state WHERE study_uid = $1', [study]);
      const held = await pool
        .query('SELECT state, reasons FROM archive.quarantine WHERE study_uid = $1', [study])
        .finally(() => pool.end());
      seen += ` sync_state ${JSON.stringify(state.rows)} quarantine ${JSON.stringify(held.rows)}`;
      throw new Error(
        `${(e as Error).message}; found ${seen}; outbox ${JSON.stringify(row.rows)} (now ${Date.now()}); log ${server.output().slice(-3000)}`,
      );
    });
    const [imagingStudy] = await imagingStudies(fhir, study);
    const history = (await (await fetch(`${fhir}/ImagingStudy/${imagingStudy.id}/_history?_count=500`)).json()) as Json;
    const versions = ((history.entry ?? []) as Json[])
      .map((e) => e.resource as Json | undefined)
      .filter((r): r is Json => r !== undefined)
      .map((r) => ({ version: Number(r.meta.versionId), instances: Number(r.numberOfInstances) }))
      .sort((x, y) => x.version - y.version);
    expect(versions.length, `history of ${study}`).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < versions.length; i++)
      expect(versions[i]!.instances, `ImagingStudy ${study} written twice with the same content`).toBeGreaterThan(
        versions[i - 1]!.instances,
      );
  }
}

/** The outbox drains: every change synced, nothing parked. */
async function checkOutboxDrained(): Promise<void> {
  const pool = openPool(db.url(), { max: 1 });
  try {
    await waitFor(
      async () =>
        Number((await pool.query('SELECT count(*) AS n FROM archive.sync_outbox')).rows[0].n) === 0 || undefined,
      { timeoutMs: 60_000, intervalMs: 250, what: 'an empty sync_outbox' },
    );
  } finally {
    await pool.end();
  }
}

async function auditVerifies(): Promise<void> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'audit',
      'verify',
      '--database',
      db.url(),
      '--audit-key-file',
      db.auditKeyFile,
    ],
    { encoding: 'utf8', cwd: REPO },
  );
  expect(stdout).toMatch(/^audit chain OK: \d+ records checked/);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip !== undefined)(
  `serve --database: PostgreSQL restarted under load${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it.skipIf(db.restart === undefined)(
      'PostgreSQL restarted under STOW-RS and C-STORE: errors or acknowledgements, the server recovers, nothing acknowledged lost',
      async () => {
        const b = await start();
        const studies = [5, 6, 7].map((k) => `${BASE}.${k}`);
        const ledger = new Ledger(studies);
        const work = mkdtempSync(join(tmpdir(), 'ib-serve-fault-cstore-'));
        dirs.push(work);
        let done = false;
        const stop = () => done;
        const lanes = [
          lane(() => stowOne(b, ledger), ledger, stop),
          lane(() => stowOne(b, ledger), ledger, stop),
          lane(() => stowOne(b, ledger), ledger, stop),
        ];
        if (haveStorescu) lanes.push(lane(() => cStoreOne(b, ledger, work), ledger, stop));
        await waitFor(() => ledger.acked.size >= 8, {
          timeoutMs: 120_000,
          intervalMs: 20,
          what: '8 acknowledged instances before the restart',
        });
        const before = ledger.acked.size;
        let duringDown = 0;
        await db.restart!(async () => {
          const at = ledger.acked.size;
          await new Promise((r) => setTimeout(r, 2000));
          duringDown = ledger.acked.size - at;
        });
        const refusedBeforeRecovery = ledger.refused.length;
        const afterRestart = ledger.acked.size;
        // Recovered: acknowledgements again, by STOW-RS and (when DCMTK is there) by C-STORE.
        await waitFor(
          () =>
            ledger.ackedVia((s) => s.via === 'stow') > 0 &&
            ledger.acked.size >= afterRestart + 8 &&
            (!haveStorescu || [...ledger.acked.values()].slice(afterRestart).some((s) => s.via === 'c-store')),
          { timeoutMs: 120_000, intervalMs: 50, what: '8 more acknowledged instances after the restart' },
        ).catch((e) => {
          done = true;
          const late = [...ledger.acked.values()].slice(afterRestart).map((s) => s.via);
          throw new Error(
            `${(e as Error).message}: after it ${JSON.stringify(late)}; refused ${ledger.refused.slice(-12).join(' | ')}; alive ${alive(b.pid)}; log ${b.output().slice(-3000)}`,
          );
        });
        done = true;
        await Promise.all(lanes);
        expect(alive(b.pid), 'the server process is still running').toBe(true);
        // Every answer that was not an acknowledgement is an error status, or a DIMSE failure.
        for (const r of ledger.refused) expect(r).toMatch(/^(STOW [45]\d\d|C-STORE .+)$/);

        const counts = await checkArchive(b, ledger, studies);
        await checkFhir(b, counts);
        await checkOutboxDrained();
        await auditVerifies();
        console.log(
          `PostgreSQL restart: ${before} acknowledged before, ${duringDown} while down, ${ledger.acked.size} in all of ${ledger.sent.size} sent; refused ${ledger.refused.length} (${refusedBeforeRecovery} by the end of the restart): ${[...new Set(ledger.refused)].join(', ')}`,
        );
      },
      360_000,
    );
  },
);

/**
 * The sync in batches (src/bridge/sync: sync-worker, study-sync, write-journal): studies due
 * together are synced in one pass, all with the right counts and one Patient per patient; and
 * what a pass records without an fsync of its own (the outbox completion, the sync record)
 * may be lost in a crash without losing a study: it is synced again, and found unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { getJson, imagingStudies, stow, type Json } from './support/http.js';
import { waitFor } from './support/wait.js';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

let n = 0;
const uid = (tag: number) => `${ROOT}.78.${process.pid}.${tag}.${++n}`;
const PUBLIC_URL = 'http://127.0.0.1:9/';

describe('DICOM → FHIR sync in batches', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-batch-'));
  let server: TestServer | undefined;
  const logs: Json[] = [];
  const start = () =>
    startTestServer(
      { 'data-dir': dataDir, 'public-url': PUBLIC_URL },
      {
        configFile: { bridge: { debounceMs: 200, maxDelayMs: 2000, minIntervalMs: 0, pollMs: 20, batchSize: 32 } },
        logTo: { write: (line: string) => logs.push(JSON.parse(line)) },
      },
    );
  afterAll(async () => {
    await server?.stop();
    for (const f of [dataDir, `${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`])
      rmSync(f, { recursive: true, force: true });
  });

  const studies: { study: string; patientId: string; instances: number }[] = [];

  it('syncs studies that are due together in one pass, each with its counts, one Patient per patient', async () => {
    server = await start();
    const fhir = `${server.url}/fhir`;
    const files: Buffer[] = [];
    const add = (patientId: string, instances: number, patientName?: string) => {
      const study = uid(1);
      const series = uid(2);
      for (let i = 0; i < instances; i++)
        files.push(ctInstance({ study, series, sop: uid(3), patientId, ...(patientName ? { patientName } : {}) }));
      studies.push({ study, patientId, instances });
    };
    // Three studies of one new patient (the same demographics), two of another whose names
    // differ between them, and five of patients of their own.
    for (const k of [1, 2, 3]) add('MRN-B1', k);
    add('MRN-B2', 2, 'Doe^Jane');
    add('MRN-B2', 1, 'Roe^Jane');
    for (let k = 0; k < 5; k++) add(`MRN-B3-${k}`, 2);
    // One STOW request: every study due at (nearly) the same moment.
    expect(await stow(server.url, files)).toBe(200);

    for (const s of studies) {
      await waitFor(
        async () => {
          const [found] = await imagingStudies(fhir, s.study);
          return found?.numberOfInstances === s.instances ? found : undefined;
        },
        { timeoutMs: 20_000, what: `ImagingStudy ${s.study} with ${s.instances} instances` },
      );
    }
    // The request's index writes may land in a few commits (the STOW committer flushes when the
    // request waits for more bytes), so their studies can fall due some milliseconds apart (more on
    // a loaded machine): the worker then needs another pass or two for the stragglers, never one
    // per study. Every pass is logged ('sync pass', debug) with its number of studies.
    const logged = () => logs.filter((l) => l.msg === 'sync pass');
    const sum = (ps: Json[]) => ps.reduce((n, p) => n + Number(p.studies), 0);
    await waitFor(async () => (sum(logged()) >= studies.length ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the log lines of the passes',
    });
    const passes = logged();
    expect(sum(passes)).toBe(studies.length);
    expect(passes.length).toBeLessThanOrEqual(3);
    expect(Math.max(...passes.map((p) => Number(p.studies)))).toBeGreaterThanOrEqual(studies.length / 2);

    for (const patientId of ['MRN-B1', 'MRN-B2']) {
      const bundle = (
        await getJson(`${fhir}/Patient?identifier=${encodeURIComponent(`urn:imaging-bridge:patient-id|${patientId}`)}`)
      ).body;
      expect(bundle.entry).toHaveLength(1);
      const subjects = new Set<string>();
      for (const s of studies.filter((x) => x.patientId === patientId))
        subjects.add((await imagingStudies(fhir, s.study))[0].subject.reference);
      expect([...subjects]).toEqual([`Patient/${bundle.entry[0].resource.id}`]);
    }
    const status = (await getJson(`${server.url}/api/sync/status`)).body;
    expect(status.outbox).toEqual({ pending: 0, retrying: 0, dead: 0 });
    expect(status.synced).toBeGreaterThanOrEqual(studies.length);
  });

  it('after a crash that lost the record of a pass, syncs its studies again and finds them unchanged', async () => {
    const fhirBefore = new Map<string, Json>();
    for (const s of studies) fhirBefore.set(s.study, (await imagingStudies(`${server!.url}/fhir`, s.study))[0]);
    await server!.stop();
    server = undefined;
    // What a power loss can do to the pass's commit (synchronous=NORMAL): as if it never happened —
    // the outbox rows are back, the sync records gone.
    const db = new Database(join(dataDir, 'index.sqlite'));
    // (Not those of MRN-B2: a sync of either of its studies brings the Patient the bridge created
    // up to date with that study's header, so theirs would be written again — by design.)
    const lost = studies
      .filter((s) => s.patientId !== 'MRN-B2')
      .slice(0, 5)
      .map((s) => s.study);
    for (const study of lost) {
      db.prepare('DELETE FROM sync_state WHERE study_uid = ?').run(study);
      db.prepare(
        `INSERT INTO sync_outbox(study_uid, first_changed_at, changed_at, reason) VALUES (?, ?, ?, 'stored')`,
      ).run(study, Date.now(), Date.now());
    }
    db.close();

    server = await start();
    const fhir = `${server.url}/fhir`;
    await waitFor(
      async () => ((await getJson(`${server!.url}/api/sync/status`)).body.outbox.pending === 0 ? true : undefined),
      { timeoutMs: 20_000, what: 'the outbox to drain' },
    );
    const db2 = new Database(join(dataDir, 'index.sqlite'), { readonly: true });
    try {
      for (const study of lost) {
        const row = db2.prepare('SELECT outcome, instances FROM sync_state WHERE study_uid = ?').get(study) as {
          outcome: string;
          instances: number;
        };
        expect(row).toMatchObject({
          outcome: 'unchanged',
          instances: studies.find((s) => s.study === study)!.instances,
        });
      }
    } finally {
      db2.close();
    }
    for (const s of studies.filter((x) => lost.includes(x.study))) {
      const [now] = await imagingStudies(fhir, s.study);
      expect(now.meta.versionId).toBe(fhirBefore.get(s.study).meta.versionId);
      expect(now.numberOfInstances).toBe(s.instances);
    }
  });
});

/**
 * Reconciliation and the configured assessment, end to end: Orthanc as the PACS, a second
 * instance of ours as the EHR, and our bridge (server A) writing to it and watching Orthanc as a
 * source. The drift is made by hand (an ImagingStudy deleted in the EHR, a study only in the
 * PACS, one only in FHIR, one with fewer instances) and `reconcile` repairs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { runCli } from './support/assess-cli.js';
import { imagingStudies, stow, type Json } from './support/http.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
const study = (n: number) => `${ROOT}.8${n}`;
const instance = (n: number, i: number) =>
  ctInstance({
    study: study(n),
    series: `${study(n)}.1`,
    sop: `${study(n)}.1.${i}`,
    patientId: `RC-${n}`,
    studyDate: today,
  });

describe.skipIf(!orthancAvailable())('reconcile and the configured assessment', () => {
  let ehr: TestServer;
  let bridge: TestServer;
  let orthanc: OrthancHandle;
  let dir: string;
  let configPath: string;
  let bridgeDir: string;
  let config: Json;
  const cli = (command: string, ...args: string[]) =>
    runCli([command, '--config', configPath, '--data-dir', bridge.dataDir, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-reconcile-'));
    bridgeDir = join(dir, 'bridge');
    ehr = await startTestServer();
    const [h, d] = await freePorts(2);
    orthanc = await startOrthanc({ httpPort: h!, dicomPort: d! });
    config = {
      fhir: { servers: { ehr: { baseUrl: `${ehr.url}/fhir`, retries: 0 } } },
      bridge: { target: 'ehr', debounceMs: 0, maxDelayMs: 100, minIntervalMs: 0 },
      // Polled once at start (Orthanc still empty), then not for an hour: the test decides what it holds.
      sources: [{ name: 'pacs', kind: 'dicomweb', url: orthanc.dicomWebUrl, mode: 'copy', pollSeconds: 3600 }],
      // The scheduled check: drift only (no apply); its first run an hour after start here, the
      // last test restarts the bridge with it at once.
      reconcile: { intervalMinutes: 60, firstDelaySeconds: 3600, since: '30d', apply: false },
    };
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    bridge = await startTestServer({ 'data-dir': bridgeDir }, { configFile: config });
    await waitFor(
      async () => {
        const s = (await (await fetch(`${bridge.url}/api/sources`)).json()) as Json;
        return s.sources?.[0]?.lastPollAt != null;
      },
      { what: 'first source poll' },
    );
    // PACS: 1, 2, 3 (two instances), 4. Bridge: 1, 2, 3 (one instance), 5.
    for (const f of [instance(1, 1), instance(2, 1), instance(3, 1), instance(3, 2), instance(4, 1)]) {
      const res = await fetch(`${orthanc.url}/instances`, { method: 'POST', body: f });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(await stow(bridge.url, [instance(1, 1), instance(2, 1), instance(3, 1), instance(5, 1)])).toBe(200);
    for (const n of [1, 2, 3, 5])
      await waitFor(async () => (await imagingStudies(`${ehr.url}/fhir`, study(n))).length === 1, {
        what: `study ${n} in the EHR`,
      });
    const [two] = await imagingStudies(`${ehr.url}/fhir`, study(2));
    expect((await fetch(`${ehr.url}/fhir/ImagingStudy/${two.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
  }, 180_000);
  afterAll(async () => {
    await bridge?.stop();
    await ehr?.stop();
    await orthanc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('assesses what the configuration points at: the bridge target and the watched source', async () => {
    const run = await cli('assess', '--format', 'json');
    expect(run.code).toBe(0);
    const a = JSON.parse(run.stdout) as Json;
    expect(a.fhir.url).toBe(`${ehr.url}/fhir`);
    expect(a.dicomweb.url).toBe(orthanc.dicomWebUrl);
    expect(a.dimse).toBeNull();
    expect(a.readiness.dimse).toBe('not-assessed');
    expect(a.dataFlow).toMatchObject({ pacsStudies: 4, fhirStudies: 3, matched: 2 });
    expect(a.dataFlow.missingInFhir).toEqual([study(2), study(4)]);
    expect(a.dataFlow.notInPacs).toEqual([study(5)]);
    expect(a.dataFlow.mismatched).toEqual([{ studyInstanceUid: study(3), fields: ['numberOfInstances'] }]);
  }, 120_000);

  it('answers POST /api/assessment with the same JSON, and 400 naming a bad field', async () => {
    const res = await bridge.inject({
      method: 'POST',
      url: '/api/assessment',
      payload: { fhir: `${ehr.url}/fhir`, dicomweb: orthanc.dicomWebUrl, since: '7d' },
    });
    expect(res.statusCode).toBe(200);
    const a = res.json() as Json;
    expect(a.dataFlow).toMatchObject({ pacsStudies: 4, matched: 2 });
    expect(a.fhir.release).toBe('R4');
    for (const [payload, expression] of [
      [{ since: 'yesterday' }, 'since'],
      [{ dimse: 'x' }, 'dimse'],
      [{ probeStow: 'yes' }, 'probeStow'],
      [{ nonsense: 1 }, 'nonsense'],
    ] as const) {
      const bad = await bridge.inject({ method: 'POST', url: '/api/assessment', payload });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().issue[0].expression).toEqual([expression]);
    }
  }, 120_000);

  it('lists what it would do in a dry run and changes nothing', async () => {
    const run = await cli('reconcile', '--dicomweb', orthanc.dicomWebUrl, '--fhir', `${ehr.url}/fhir`, '--json');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as Json;
    expect(plan.dryRun).toBe(true);
    expect(plan.actions).toEqual([
      { kind: 'queue-sync', studyUid: study(2), reason: 'missing' },
      { kind: 'fetch-from-source', studyUid: study(4), source: 'pacs', reason: 'missing' },
      { kind: 'queue-sync', studyUid: study(3), reason: 'mismatched' },
      { kind: 'mark-orphan', studyUid: study(5), fhirId: expect.any(String) },
    ]);
    expect(await imagingStudies(`${ehr.url}/fhir`, study(2))).toHaveLength(0);
    const [five] = await imagingStudies(`${ehr.url}/fhir`, study(5));
    expect(five.meta.tag ?? []).not.toContainEqual(expect.objectContaining({ code: 'not-in-pacs' }));
  }, 120_000);

  it('applies: re-syncs the missing study, queues the PACS-only one for its source, marks the orphan; again: nothing new', async () => {
    const run = await cli('reconcile', '--apply', '--dicomweb', orthanc.dicomWebUrl, '--fhir', `${ehr.url}/fhir`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('applied: 4 of 4 actions');
    await waitFor(async () => (await imagingStudies(`${ehr.url}/fhir`, study(2))).length === 1, {
      what: 'study 2 synced again',
    });
    const [five] = await imagingStudies(`${ehr.url}/fhir`, study(5));
    expect(five.meta.tag).toContainEqual({
      system: 'urn:imaging-bridge:reconcile',
      code: 'not-in-pacs',
      display: 'Study not found in the PACS (imaging-bridge reconcile)',
    });
    const sources = (await (await fetch(`${bridge.url}/api/sources`)).json()) as Json;
    expect(sources.sources[0].studies.queued).toBe(1);
    // Every change is in the audit chain (the server copies it into /fhir/AuditEvent at its next start).
    const exported = await runCli(['audit', 'export', '--data-dir', bridge.dataDir, '--format', 'syslog']);
    expect(exported.code).toBe(0);
    for (const n of [2, 3, 4, 5]) expect(exported.stdout).toContain(study(n));
    expect(exported.stdout).toContain(`reconcile ${study(5)}: marked ImagingStudy/`);

    const again = await cli(
      'reconcile',
      '--apply',
      '--json',
      '--dicomweb',
      orthanc.dicomWebUrl,
      '--fhir',
      `${ehr.url}/fhir`,
    );
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as Json;
    expect(summary.counts['already-marked']).toBe(1);
    expect(summary.counts['mark-orphan']).toBe(0);
    const [fiveAgain] = await imagingStudies(`${ehr.url}/fhir`, study(5));
    expect(fiveAgain.meta.versionId).toBe(five.meta.versionId);
  }, 180_000);

  it('deletes orphans only with --delete-orphans', async () => {
    const run = await cli(
      'reconcile',
      '--apply',
      '--delete-orphans',
      '--dicomweb',
      orthanc.dicomWebUrl,
      '--fhir',
      `${ehr.url}/fhir`,
    );
    expect(run.code).toBe(0);
    expect(await imagingStudies(`${ehr.url}/fhir`, study(5))).toHaveLength(0);
  }, 120_000);

  // Last: the bridge restarted on its data with the scheduled check's first run at once (instead of
  // a minute after start, the default); its first source poll now copies what the PACS holds.
  it("reports the scheduled check's drift on GET /api/sync/status", async () => {
    await bridge.stop();
    bridge = await startTestServer(
      { 'data-dir': bridgeDir },
      { configFile: { ...config, reconcile: { ...config.reconcile, firstDelaySeconds: 0 } } },
    );
    const drift = await waitFor(
      async () => ((await (await fetch(`${bridge.url}/api/sync/status`)).json()) as Json).drift,
      { timeoutMs: 90_000, intervalMs: 1000, what: 'the scheduled reconcile' },
    );
    expect(drift.error).toBeUndefined();
    expect(drift).toMatchObject({ checkedAt: expect.any(String), pacsStudies: 4, notInPacs: expect.any(Number) });
    expect(drift.matched + drift.missingInFhir).toBe(4);
    expect(drift.queued).toBeUndefined();
  }, 120_000);
});

/**
 * `imaging-bridge assess` against real peers: Orthanc (Debian) with its DICOMweb plugin on and
 * off and its DIMSE port, and our own server as the FHIR target (its bridge writes the
 * ImagingStudy resources of what it receives). Counts are exact: the fixture decides them.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { runCli } from './support/assess-cli.js';
import { imagingStudies, stow, type Json } from './support/http.js';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './support/orthanc.js';
import { freePorts } from './support/ports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
const study = (n: number) => `${ROOT}.7${n}`;
const instance = (n: number, i: number, patientId = `AS-${n}`) =>
  ctInstance({ study: study(n), series: `${study(n)}.1`, sop: `${study(n)}.1.${i}`, patientId, studyDate: today });

async function toOrthanc(orthanc: OrthancHandle, files: Buffer[]): Promise<void> {
  for (const f of files) {
    const res = await fetch(`${orthanc.url}/instances`, { method: 'POST', body: f });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

describe.skipIf(!orthancAvailable())('imaging-bridge assess with Orthanc and our FHIR server', () => {
  let server: TestServer;
  let on: OrthancHandle;
  let off: OrthancHandle;

  beforeAll(async () => {
    server = await startTestServer();
    const [h1, d1, h2, d2] = await freePorts(4);
    [on, off] = await Promise.all([
      startOrthanc({
        httpPort: h1!,
        dicomPort: d1!,
        extraConfig: { DicomModalities: { bridge: ['IMGBRIDGE', '127.0.0.1', 104] } },
      }),
      startOrthanc({
        httpPort: h2!,
        dicomPort: d2!,
        extraConfig: { Plugins: [], DicomModalities: { bridge: ['IMGBRIDGE', '127.0.0.1', 104] } },
      }),
    ]);
    // 1: in both; 2: two instances in the PACS, one in FHIR (mismatched); 3: PACS only; 4: FHIR only.
    await toOrthanc(on, [instance(1, 1), instance(2, 1), instance(2, 2), instance(3, 1)]);
    expect(await stow(server.url, [instance(1, 1), instance(2, 1), instance(4, 1)])).toBe(200);
    const fhir = `${server.url}/fhir`;
    for (const n of [1, 2, 4])
      await waitFor(async () => (await imagingStudies(fhir, study(n))).length === 1, { what: `ImagingStudy ${n}` });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([on?.stop(), off?.stop()]);
    await server?.stop();
  });

  it('finds R4, DICOMweb on, DIMSE working, and the exact data-flow counts (json)', async () => {
    const run = await runCli([
      'assess',
      '--fhir',
      `${server.url}/fhir`,
      '--dicomweb',
      on.dicomWebUrl,
      '--dimse',
      `${on.aet}@127.0.0.1:${on.dicomPort}`,
      '--format',
      'json',
      '--since',
      '30d',
    ]);
    expect(run.code).toBe(0);
    const a = JSON.parse(run.stdout) as Json;
    const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(__dirname, '../docs/assessment.schema.json'), 'utf8')));
    expect(validate(a) ? [] : validate.errors).toEqual([]);
    expect(a.fhir.reachable).toBe(true);
    expect(a.fhir.fhirVersion).toBe('4.0.1');
    expect(a.fhir.release).toBe('R4');
    expect(a.fhir.resources.ImagingStudy.interactions).toEqual(
      expect.arrayContaining(['read', 'search-type', 'create', 'update']),
    );
    expect(a.fhir.resources.ImagingStudy.searchParams).toEqual(expect.arrayContaining(['identifier', 'patient']));
    expect(a.fhir.transaction).toBe(true);
    expect(a.dicomweb.reachable).toBe(true);
    expect(a.dicomweb.server).toMatch(/^Orthanc/);
    expect(a.dicomweb.qido).toBe('ok');
    expect(a.dicomweb.wado).toBe('ok');
    expect(a.dicomweb.frames).toBe('ok');
    expect(a.dicomweb.rendered).toBe('ok');
    expect(a.dicomweb.stow).toBe('not-probed');
    expect(a.wrote).toBe(false);
    expect(a.dimse.association).toBe('ok');
    expect(a.dimse.echo).toBe('ok');
    expect(a.dimse.find).toBe('ok');
    expect(a.dimse.get).toBe('ok');
    expect(a.dimse.move).toBe('ok');
    expect(a.dimse.sopClasses.map((s: Json) => s.name)).toContain('CT Image Storage');
    expect(a.dataFlow.pacsVia).toBe('qido');
    expect(a.dataFlow.pacsStudies).toBe(3);
    expect(a.dataFlow.fhirStudies).toBe(3);
    expect(a.dataFlow.matched).toBe(2);
    expect(a.dataFlow.missingInFhir).toEqual([study(3)]);
    expect(a.dataFlow.notInPacs).toEqual([study(4)]);
    expect(a.dataFlow.mismatched).toEqual([{ studyInstanceUid: study(2), fields: ['numberOfInstances'] }]);
    expect(a.dataFlow.lagSeconds.max).toBeGreaterThanOrEqual(a.dataFlow.lagSeconds.median);
    for (const area of [a.fhir, a.dicomweb, a.dimse, a.dataFlow])
      for (const c of area.checks) {
        expect(c).toEqual(
          expect.objectContaining({
            name: expect.any(String),
            request: expect.any(String),
            ms: expect.any(Number),
            detail: expect.any(String),
          }),
        );
        expect(['ok', 'failed', 'off', 'not-probed']).toContain(c.status);
      }
    const messages = a.findings.map((f: Json) => f.message).join('\n');
    expect(messages).toContain('33 % of the studies since');
    expect(messages).toContain('1 ImagingStudy resources differ from the PACS (numberOfInstances)');
    expect(messages).toContain('1 ImagingStudy resources name studies the PACS does not have');
    expect(a.readiness).toEqual({ fhir: 'ready', dicomweb: 'ready', dimse: 'ready', dataFlow: 'partial' });
  }, 120_000);

  it('says the DICOMweb plugin is off and lists the PACS over C-FIND instead', async () => {
    const run = await runCli([
      'assess',
      '--fhir',
      `${server.url}/fhir`,
      '--dicomweb',
      off.dicomWebUrl,
      '--dimse',
      `${off.aet}@127.0.0.1:${off.dicomPort}`,
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    const a = JSON.parse(run.stdout) as Json;
    expect(a.dicomweb.reachable).toBe(true);
    expect(a.dicomweb.qido).toBe('off');
    expect(a.dicomweb.server).toBe('Orthanc 1.10.1');
    expect(a.readiness.dicomweb).toBe('blocked');
    expect(a.findings[0]).toEqual(
      expect.objectContaining({
        area: 'dicomweb',
        level: 'blocker',
        nextStep: expect.stringContaining('Turn on the DICOMweb plugin'),
      }),
    );
    // The empty Orthanc answers C-FIND: no study since, and all of ours are "not in the PACS".
    expect(a.dataFlow.pacsVia).toBe('c-find');
    expect(a.dataFlow.pacsStudies).toBe(0);
    expect(a.dataFlow.notInPacs).toEqual([study(1), study(2), study(4)]);
  }, 120_000);

  it.skipIf(!existsSync('/usr/bin/chromium'))(
    'writes a self-contained HTML report that Chromium shows without fetching anything',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ib-assess-html-'));
      const out = join(dir, 'report.html');
      try {
        const run = await runCli([
          'assess',
          '--fhir',
          `${server.url}/fhir`,
          '--dicomweb',
          on.dicomWebUrl,
          '--dimse',
          `${on.aet}@127.0.0.1:${on.dicomPort}`,
          '--format',
          'html',
          '--out',
          out,
        ]);
        expect(run.code).toBe(0);
        expect(run.stdout).toBe('');
        // ASSESSMENT_EXAMPLE=1 refreshes the example kept in docs/assessment/.
        if (process.env.ASSESSMENT_EXAMPLE) copyFileSync(out, join(__dirname, '../docs/assessment/example.html'));
        const browser = await chromium.launch({
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        });
        try {
          const page = await browser.newPage();
          const requests: string[] = [];
          page.on('request', (r) => requests.push(r.url()));
          await page.goto(`file://${out}`);
          expect(requests).toEqual([`file://${out}`]);
          expect(await page.locator('h1').textContent()).toBe('Imaging readiness assessment');
          expect(await page.locator('.area').allTextContents()).toEqual([
            'FHIRready',
            'DICOMwebready',
            'DIMSEready',
            'Data flowpartial',
          ]);
          expect(await page.locator('ol > li').first().textContent()).toContain('33 % of the studies since');
          expect(await page.locator('ol').textContent()).not.toContain('No rendered');
          expect(await page.locator('h2').allTextContents()).toEqual(
            expect.arrayContaining(['Verdict', 'Next steps', `FHIR — ${server.url}/fhir`, 'Data flow']),
          );
        } finally {
          await browser.close();
        }
        expect(readFileSync(out, 'utf8')).not.toMatch(/<(script|link|img)\b|url\(/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it('stores and deletes one synthetic instance with --probe-stow, and says so', async () => {
    const before = ((await (await fetch(`${on.url}/studies`)).json()) as string[]).length;
    const run = await runCli(['assess', '--dicomweb', on.dicomWebUrl, '--probe-stow', '--format', 'text']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('one synthetic test instance will be stored and deleted');
    expect(run.stdout).toContain('WROTE one synthetic test instance');
    expect(run.stdout).toMatch(/OK\s+stow cleanup/);
    const after = ((await (await fetch(`${on.url}/studies`)).json()) as string[]).length;
    expect(after).toBe(before);
  }, 120_000);
});

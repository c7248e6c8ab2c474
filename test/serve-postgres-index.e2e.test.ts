/**
 * Two `serve` processes on one PostgreSQL database and one bucket (s3rver): the archive index is
 * in PostgreSQL, so what one instance stored is found by the other — QIDO-RS, WADO-RS (bytes from
 * the bucket), C-FIND and the FHIR ImagingStudy the bridge wrote. Then one instance is SIGKILLed
 * while STOW-RS requests are under way: every instance whose request was acknowledged is found,
 * whole, through the other one.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { dcmtkAvailable, runDcmtk } from './support/dcmtk.js';
import { imagingStudies, stow, type Json } from './support/http.js';
import { splitMultipart } from './support/multipart.js';
import type { SpawnedServer } from './support/server.js';
import { sharedArchiveServers } from './support/shared-archive-servers.js';
import { waitFor } from './support/wait.js';

const { skip, start, tempDir } = sharedArchiveServers('serve-pg');
const haveFindscu = dcmtkAvailable(['findscu']);
const BASE = `${ROOT}.98.${process.pid}`;

const instanceOf = (study: string, n: number) =>
  ctInstance({ study, series: `${study}.1`, sop: `${study}.1.${n}`, rows: 16, columns: 16 });

async function qidoInstances(s: SpawnedServer, study: string): Promise<string[]> {
  const res = await fetch(`${s.dicomweb}/studies/${study}/instances`);
  if (res.status === 204) return [];
  expect(res.status).toBe(200);
  return ((await res.json()) as Json[]).map((i) => String(i['00080018'].Value[0])).sort();
}

async function wado(s: SpawnedServer, study: string, sop: string): Promise<Buffer | undefined> {
  const res = await fetch(`${s.dicomweb}/studies/${study}/series/${study}.1/instances/${sop}`, {
    headers: { accept: 'multipart/related; type="application/dicom"' },
  });
  if (res.status !== 200) return undefined;
  const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
  return parts[0]?.data;
}

describe.skipIf(skip !== undefined)(
  `serve --database: the archive index in PostgreSQL, two instances${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let a: SpawnedServer;
    let b: SpawnedServer;

    it('finds through one instance what the other stored (QIDO-RS, WADO-RS, C-FIND, FHIR ImagingStudy)', async () => {
      a = await start();
      b = await start();
      const study = `${BASE}.1`;
      const sent = [1, 2].map((n) => instanceOf(study, n));
      expect(await stow(a.url, sent)).toBe(200);

      const studies = (await (await fetch(`${b.dicomweb}/studies?StudyInstanceUID=${study}`)).json()) as Json[];
      expect(studies).toHaveLength(1);
      expect(studies[0]['00201208'].Value[0]).toBe(2); // NumberOfStudyRelatedInstances
      expect(await qidoInstances(b, study)).toEqual([`${study}.1.1`, `${study}.1.2`]);
      for (const [i, bytes] of sent.entries())
        expect((await wado(b, study, `${study}.1.${i + 1}`))?.equals(bytes)).toBe(true);

      // And the other way round: b stores, a finds.
      const second = `${BASE}.2`;
      expect(await stow(b.url, [instanceOf(second, 1)])).toBe(200);
      expect(await qidoInstances(a, second)).toEqual([`${second}.1.1`]);

      // The bridge's outbox is shared: the ImagingStudy is written once (by either), read through both.
      for (const uid of [study, second]) {
        const found = await waitFor(
          async () => ((await imagingStudies(`${b.url}/fhir`, uid)).length ? true : undefined),
          {
            timeoutMs: 60_000,
            what: `the ImagingStudy of ${uid}`,
          },
        );
        expect(found).toBe(true);
        expect(await imagingStudies(`${a.url}/fhir`, uid)).toHaveLength(1);
      }
      const [imagingStudy] = await imagingStudies(`${b.url}/fhir`, study);
      expect(imagingStudy.numberOfInstances).toBe(2);

      if (haveFindscu) {
        const out = tempDir('find-');
        await runDcmtk('findscu', [
          '-S',
          '-X',
          '-od',
          out,
          '-aec',
          'IMGBRIDGE',
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          `StudyInstanceUID=${study}`,
          '127.0.0.1',
          String(b.dicomPort),
        ]);
        expect(readdirSync(out)).toHaveLength(1);
      }
    }, 240_000);

    it('loses no acknowledged instance when one instance is SIGKILLed mid-ingest', async () => {
      const study = `${BASE}.3`;
      const acknowledged: number[] = [];
      let killed = false;
      // One instance per request, four at a time, until the kill; then the survivor is asked.
      const lane = async (first: number) => {
        for (let n = first; !killed; n += 4) {
          const status = await stow(a.url, [instanceOf(study, n)]).catch(() => undefined);
          if (status === 200) acknowledged.push(n);
        }
      };
      const lanes = [1, 2, 3, 4].map(lane);
      await waitFor(async () => (acknowledged.length >= 12 ? true : undefined), {
        timeoutMs: 60_000,
        what: '12 acknowledged STOW-RS requests',
      });
      process.kill(a.pid, 'SIGKILL');
      killed = true;
      await Promise.all(lanes);
      expect(acknowledged.length).toBeGreaterThanOrEqual(12);

      const found = new Set(await qidoInstances(b, study));
      for (const n of acknowledged) {
        const sop = `${study}.1.${n}`;
        expect(found.has(sop), sop).toBe(true);
        expect((await wado(b, study, sop))?.equals(instanceOf(study, n)), sop).toBe(true);
      }
      // The survivor still stores and serves.
      const after = `${BASE}.4`;
      expect(await stow(b.url, [instanceOf(after, 1)])).toBe(200);
      expect(await qidoInstances(b, after)).toEqual([`${after}.1.1`]);
    }, 240_000);
  },
);

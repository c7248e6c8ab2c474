/** Shared helpers of the sources end-to-end suites (watching an Orthanc). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PackStore } from '../../src/archive/pack/pack-store.js';
import { ctInstance } from '../../src/dicom/test-support.js';
import type { Json } from './http.js';
import type { OrthancHandle } from './orthanc.js';

/** Today's StudyDate (local calendar), inside any look-back window. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

/** Uploads CT instances to Orthanc (POST /instances). */
export async function uploadToOrthanc(
  orthanc: OrthancHandle,
  study: string,
  series: string,
  sops: string[],
  patientId: string,
): Promise<void> {
  for (const sop of sops) {
    const res = await fetch(`${orthanc.url}/instances`, {
      method: 'POST',
      body: ctInstance({ study, series, sop, patientId, patientName: 'Watched^Patient', studyDate: today() }),
    });
    if (!res.ok) throw new Error(`Orthanc upload: ${res.status} ${await res.text()}`);
  }
}

/** Number of instances in a study on a DICOMweb server (QIDO), 0 when absent. */
export async function studyInstances(dicomweb: string, study: string): Promise<number> {
  const res = await fetch(`${dicomweb}/studies?StudyInstanceUID=${study}`);
  const body = res.status === 204 ? [] : ((await res.json()) as { '00201208'?: { Value: number[] } }[]);
  return body[0]?.['00201208']?.Value[0] ?? 0;
}

/** One source's entry in GET /api/sources (undefined when not listed). */
export async function sourceStatus(url: string, name: string): Promise<Json> {
  const body = (await (await fetch(`${url}/api/sources`)).json()) as { sources: Json[] };
  return body.sources.find((s) => s.name === name);
}

/** Objects whose bytes are held locally: files under dataDir/blobs plus live records in dataDir/packs. */
export function storedObjects(dataDir: string): number {
  const walk = (dir: string): number =>
    readdirSync(dir).reduce((n, f) => {
      const p = join(dir, f);
      return n + (statSync(p).isDirectory() ? walk(p) : 1);
    }, 0);
  const files = existsSync(join(dataDir, 'blobs')) ? walk(join(dataDir, 'blobs')) : 0;
  if (!existsSync(join(dataDir, 'packs'))) return files;
  const packs = new PackStore(dataDir, false);
  try {
    return files + [...packs.recordsFrom({ segment: 0, offset: 0 })].length;
  } finally {
    packs.close();
  }
}

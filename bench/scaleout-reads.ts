/**
 * What SCALEOUT reads back to check a run: the studies QIDO-RS lists through one process, the
 * ImagingStudies FHIR search lists, the ImagingStudy versions and the outbox in the shared
 * PostgreSQL database, and a process's CPU from /proc.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type pg from 'pg';
import type { DicomJson } from '../src/dicom/types.js';
import { httpCall, jsonOf } from './http-client.js';
import { changedPaths, type ListedStudy, type StudyVersion } from './scaleout-checks.js';

const PAGE = 1000;

/** Every study QIDO-RS lists (paged), with its NumberOfStudyRelatedInstances. */
export async function qidoStudies(dicomWebUrl: string, agent?: Agent): Promise<ListedStudy[]> {
  const out: ListedStudy[] = [];
  for (;;) {
    const r = await httpCall(`${dicomWebUrl}/studies?includefield=00201208&limit=${PAGE}&offset=${out.length}`, {
      headers: { Accept: 'application/dicom+json' },
      agent,
      timeoutMs: 60_000,
    });
    const page = r.status === 204 ? [] : (jsonOf<DicomJson[] | undefined>(r, 'QIDO studies') ?? []);
    for (const s of page)
      out.push({ study: String(s['0020000D']?.Value?.[0] ?? ''), instances: Number(s['00201208']?.Value?.[0]) });
    if (page.length < PAGE) return out;
  }
}

interface Bundle {
  entry?: { resource?: { identifier?: { system?: string; value?: string }[]; numberOfInstances?: number } }[];
}

/** Every ImagingStudy FHIR search lists (paged), by its urn:dicom:uid identifier. */
export async function fhirStudies(fhirBase: string, agent?: Agent): Promise<ListedStudy[]> {
  const out: ListedStudy[] = [];
  for (;;) {
    const r = await httpCall(
      `${fhirBase}/ImagingStudy?_count=${PAGE}&_offset=${out.length}&_elements=identifier,numberOfInstances&_total=none`,
      { headers: { Accept: 'application/fhir+json' }, agent, timeoutMs: 60_000 },
    );
    const entries = jsonOf<Bundle>(r, 'FHIR ImagingStudy search').entry ?? [];
    for (const e of entries) {
      const uid = e.resource?.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value ?? '';
      out.push({ study: uid.replace(/^urn:oid:/, ''), instances: Number(e.resource?.numberOfInstances) });
    }
    if (entries.length < PAGE) return out;
  }
}

/** Every stored ImagingStudy version (schema fhir of the shared database). */
export async function imagingStudyVersions(db: pg.ClientBase): Promise<StudyVersion[]> {
  const r = await db.query<{ id: string; version: number; instances: number | null }>(
    `SELECT id, version, (json::jsonb ->> 'numberOfInstances')::int AS instances
       FROM fhir.versions WHERE type = 'ImagingStudy'`,
  );
  return r.rows;
}

/**
 * For an ImagingStudy written again without more instances: which two versions, how far apart
 * (last_updated) and what changed between them (meta left out).
 */
export async function repeatedWriteDetail(db: pg.ClientBase, id: string): Promise<string> {
  const r = await db.query<{ version: number; last_updated: string; json: string | null }>(
    `SELECT version, last_updated, json FROM fhir.versions WHERE type = 'ImagingStudy' AND id = $1 ORDER BY version`,
    [id],
  );
  const rows = r.rows.map((row) => ({
    ...row,
    resource: row.json === null ? null : (JSON.parse(row.json) as Record<string, unknown>),
  }));
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    const [na, nb] = [a.resource?.numberOfInstances, b.resource?.numberOfInstances];
    if (typeof na !== 'number' || typeof nb !== 'number' || nb > na) continue;
    const changed = changedPaths(a.resource, b.resource);
    return `${id} v${a.version}→v${b.version} (${na}→${nb} instances, ${Number(b.last_updated) - Number(a.last_updated)} ms apart): ${changed.length ? `changed ${changed.join(', ')}` : 'the same but for meta'}`;
  }
  return `${id}: no such pair found again`;
}

/** Rows left in the bridge's shared outbox (0 = every change synced). */
export async function outboxRows(db: pg.ClientBase): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM archive.sync_outbox')).rows[0]?.n);
}

/** Studies the bridge holds in quarantine instead of writing them to FHIR. */
export async function quarantinedStudies(db: pg.ClientBase): Promise<number> {
  return Number(
    (await db.query<{ n: string }>("SELECT count(*) AS n FROM archive.quarantine WHERE state = 'held'")).rows[0]?.n,
  );
}

/** CPU seconds (user + system, all threads) a live process has used, from /proc/<pid>/stat. */
export function processCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
}

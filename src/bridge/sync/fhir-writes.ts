/**
 * The FHIR interactions of one study sync: find the ImagingStudy by its StudyInstanceUID
 * identifier, upsert the Endpoint, and write Patient + ImagingStudy — one transaction Bundle
 * when the server supports it (also one Bundle for a batch of studies: writeStudies), else one
 * request at a time (conditional create, If-Match update).
 */
import { randomUUID } from 'node:crypto';
import type { FhirClient } from '../../fhir/client/index.js';
import { openResource, type AnyResource, type Bundle, type BundleEntry, type FhirResource } from '../../fhir/types.js';
import {
  DICOM_UID_SYSTEM,
  mapEndpoint,
  urnOid,
  type Endpoint,
  type ImagingStudy,
  type Reference,
} from '../mapping/index.js';
import { validateBeforeWrite } from './validate-before-write.js';

/** The write lost a race (another writer created or changed the resource): sync the study again. */
export class WriteRace extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteRace';
  }
}

export const studyIdentifier = (studyUid: string): string => `${DICOM_UID_SYSTEM}|${urnOid(studyUid)}`;

export async function findImagingStudy(client: FhirClient, studyUid: string): Promise<ImagingStudy | undefined> {
  const found = await client.searchAll(
    'ImagingStudy',
    // _total=none: the matches are counted from the page; no count query per study.
    { identifier: studyIdentifier(studyUid), _total: 'none' },
    { maxResources: 10, maxPages: 1 },
  );
  if (found.length > 1)
    throw new Error(
      `${found.length} ImagingStudy resources carry this StudyInstanceUID; merge them by hand, then replay`,
    );
  return found[0] as ImagingStudy | undefined;
}

/** The Endpoint of a DICOMweb service, created once (conditionally on its identifier). */
export async function ensureEndpoint(client: FhirClient, dicomWebBase: string): Promise<Reference<Endpoint>> {
  const endpoint = mapEndpoint(dicomWebBase);
  validateBeforeWrite([openResource(endpoint)]);
  const id = endpoint.identifier[0]!;
  const { resource } = await client.createIfNoneExist(endpoint, {
    identifier: `${id.system}|${id.value}`,
  });
  return { reference: `Endpoint/${resource.id}` };
}

/** The Endpoint the bridge made for a DICOMweb service, if there is one (nothing is created). */
export async function findEndpoint(client: FhirClient, dicomWebBase: string): Promise<Reference<Endpoint> | undefined> {
  const id = mapEndpoint(dicomWebBase).identifier[0]!;
  const [found] = await client.searchAll(
    'Endpoint',
    { identifier: `${id.system}|${id.value}`, _total: 'none' },
    { maxResources: 1, maxPages: 1 },
  );
  return found ? { reference: `Endpoint/${found.id}` } : undefined;
}

export interface StudyWrite {
  studyUid: string;
  imagingStudy: ImagingStudy;
  /** The stored version being replaced (If-Match), absent for a create. */
  existing?: ImagingStudy;
  /** A Patient to create, referenced from imagingStudy.subject by `fullUrl`. */
  createPatient?: { resource: FhirResource; identifier: string; fullUrl: string };
  /** A Patient the bridge created, brought up to date. */
  updatePatient?: FhirResource;
}

export interface Written {
  id: string;
  versionId?: string;
  /** The id of the Patient the written ImagingStudy's subject refers to. */
  patientId?: string;
}

/** `Patient/abc` (relative or absolute, with or without _history) → `abc`. */
export function patientIdOf(reference: string | undefined): string | undefined {
  return /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference ?? '')?.[1];
}

const ifMatch = (r: FhirResource): string | undefined => (r.meta?.versionId ? `W/"${r.meta.versionId}"` : undefined);

export async function writeStudy(client: FhirClient, w: StudyWrite, transaction: boolean): Promise<Written> {
  return transaction ? writeAsTransaction(client, w) : writeOneByOne(client, w);
}

async function writeAsTransaction(client: FhirClient, w: StudyWrite): Promise<Written> {
  const [result] = await writeStudies(client, [w]);
  if (result instanceof WriteRace) throw result;
  return result!;
}

/** The Bundle entries of one study: its Patient (create or update), then its ImagingStudy (last). */
function studyEntries(w: StudyWrite): BundleEntry[] {
  const entry: BundleEntry[] = [];
  if (w.createPatient) {
    entry.push({
      fullUrl: w.createPatient.fullUrl,
      resource: w.createPatient.resource,
      request: {
        method: 'POST',
        url: 'Patient',
        ifNoneExist: `identifier=${encodeURIComponent(w.createPatient.identifier)}`,
      },
    });
  }
  if (w.updatePatient) {
    entry.push({
      resource: w.updatePatient,
      request: { method: 'PUT', url: `Patient/${w.updatePatient.id}`, ...withIfMatch(w.updatePatient) },
    });
  }
  const study = openResource(w.imagingStudy);
  if (w.existing) {
    entry.push({
      resource: study,
      request: {
        method: 'PUT',
        url: `ImagingStudy/${w.existing.id}`,
        ...withIfMatch(w.existing),
      },
    });
  } else {
    const condition = `identifier=${encodeURIComponent(studyIdentifier(w.studyUid))}`;
    entry.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: study,
      request: { method: 'POST', url: 'ImagingStudy', ifNoneExist: condition },
    });
  }
  return entry;
}

/**
 * Several studies in one transaction Bundle: one commit on the server for all of them, all or
 * nothing (a failure throws, and nothing of the batch was written). Per study, in order: what
 * was written, or a WriteRace when its ImagingStudy had been created by another writer
 * meanwhile (the others are written; that one is synced again). The caller makes sure no two
 * writes create or update the same Patient — a study may refer to a Patient another write of
 * the batch creates, by that write's `createPatient.fullUrl`.
 */
export async function writeStudies(client: FhirClient, writes: StudyWrite[]): Promise<(Written | WriteRace)[]> {
  const entry: BundleEntry[] = [];
  const studyAt: number[] = [];
  for (const w of writes) {
    entry.push(...studyEntries(w));
    studyAt.push(entry.length - 1);
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry };
  const response = await client.transaction(bundle);
  // Where each Patient created (or found) by the Bundle is: its subject placeholders resolve to it.
  const placeholders = new Map<string, string | undefined>();
  entry.forEach((e, i) => {
    if (e.fullUrl && e.request?.url === 'Patient')
      placeholders.set(e.fullUrl, patientIdOf(response.entry?.[i]?.response?.location));
  });
  return writes.map((w, i) => {
    const r = response.entry?.[studyAt[i]!]?.response;
    if (!w.existing && r?.status.startsWith('200'))
      return new WriteRace('the ImagingStudy was created by another writer meanwhile');
    const subject = w.imagingStudy.subject.reference;
    const patientId = subject && placeholders.has(subject) ? placeholders.get(subject) : patientIdOf(subject);
    return { ...writtenOf(r?.location, r?.etag), ...(patientId ? { patientId } : {}) };
  });
}

async function writeOneByOne(client: FhirClient, w: StudyWrite): Promise<Written> {
  const study: ImagingStudy = structuredClone(w.imagingStudy);
  if (w.createPatient) {
    const { resource } = await client.createIfNoneExist(w.createPatient.resource, {
      identifier: w.createPatient.identifier,
    });
    if (study.subject.reference === w.createPatient.fullUrl) study.subject = { reference: `Patient/${resource.id}` };
  }
  if (w.updatePatient) await client.update(w.updatePatient, { ifMatch: w.updatePatient.meta?.versionId });
  const patientId = patientIdOf(study.subject.reference);
  const linked = patientId ? { patientId } : {};
  if (w.existing) {
    const updated = await client.update(
      { ...study, id: w.existing.id },
      {
        ifMatch: w.existing.meta?.versionId,
      },
    );
    return { id: updated.id!, ...(updated.meta?.versionId ? { versionId: updated.meta.versionId } : {}), ...linked };
  }
  const { resource, created } = await client.createIfNoneExist(study, {
    identifier: studyIdentifier(w.studyUid),
  });
  if (!created) throw new WriteRace('the ImagingStudy was created by another writer meanwhile');
  return { id: resource.id!, ...(resource.meta?.versionId ? { versionId: resource.meta.versionId } : {}), ...linked };
}

function withIfMatch(r: AnyResource): { ifMatch?: string } {
  const v = ifMatch(openResource(r));
  return v ? { ifMatch: v } : {};
}

/** `ImagingStudy/abc/_history/2` (and/or an etag W/"2") → id and version. */
function writtenOf(location: string | undefined, etag: string | undefined): Written {
  const m = /ImagingStudy\/([^/]+)(?:\/_history\/([^/]+))?/.exec(location ?? '');
  if (!m) throw new Error('the transaction response does not say where the ImagingStudy is');
  const versionId = m[2] ?? /W\/"([^"]+)"/.exec(etag ?? '')?.[1];
  return { id: m[1]!, ...(versionId ? { versionId } : {}) };
}

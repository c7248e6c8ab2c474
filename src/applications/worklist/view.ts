/** A worklist item as the API answers it (docs/worklist.md). */
import type { HumanName, ImagingStudy, Patient } from '@medplum/fhirtypes';
import type { Score, Term, Tier } from '../../clinical/worklist/index.js';
import type { PatientContext } from './source.js';
import { accessionOf } from './source.js';
import type { Entry } from './study-index.js';

export interface WorklistItem {
  studyInstanceUid: string;
  accession?: string;
  /** `recordId`: the patient's id on the external record server (the patient view's id), when linked. */
  patient: { id?: string; name?: string; identifier?: string; recordId?: string };
  modality: string[];
  description?: string;
  bodySite: string[];
  started?: string;
  received?: string;
  rank: number;
  score: number;
  tier: Tier;
  terms: Term[];
  status: 'unread' | 'read';
}

const nameText = (n: HumanName | undefined): string | undefined =>
  n && (n.text ?? ([...(n.given ?? []), n.family].filter(Boolean).join(' ') || undefined));

export function patientView(id: string | undefined, p: Patient | undefined): WorklistItem['patient'] {
  const name = nameText(p?.name?.find((x) => x.use === 'official') ?? p?.name?.[0]);
  const mrn = p?.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR')) ?? p?.identifier?.[0];
  return { ...(id ? { id } : {}), ...(name ? { name } : {}), ...(mrn?.value ? { identifier: mrn.value } : {}) };
}

export function studyFields(s: ImagingStudy): Pick<WorklistItem, 'modality' | 'description' | 'bodySite' | 'started'> {
  const modality = [
    ...new Set([...(s.modality ?? []).map((m) => m.code), ...(s.series ?? []).map((x) => x.modality?.code)]),
  ].filter((m): m is string => !!m);
  const bodySite = [
    ...new Set((s.series ?? []).map((x) => x.bodySite?.display ?? x.bodySite?.code).filter((b): b is string => !!b)),
  ];
  return {
    modality,
    ...(s.description ? { description: s.description } : {}),
    bodySite,
    ...(s.started ? { started: s.started } : {}),
  };
}

/** Evidence read from the external record server as absolute URLs (its `Encounter/1` is not ours). */
export function recordEvidence(terms: Term[], external: ReadonlySet<string>, base: string): Term[] {
  const root = base.replace(/\/+$/, '');
  return terms.map((t) =>
    t.evidence.some((r) => external.has(r))
      ? { ...t, evidence: t.evidence.map((r) => (external.has(r) ? `${root}/${r}` : r)) }
      : t,
  );
}

/** The item of a study scored `s` at `rank`; `recordBase`: the external record server whose evidence is shown as URLs. */
export function itemView(
  e: Entry,
  rank: number,
  s: Score,
  ctx: PatientContext | undefined,
  recordBase: string | undefined,
): WorklistItem {
  const accession = accessionOf(e.study)?.value;
  const external = new Set(ctx?.external ?? []);
  if (e.order?.external) external.add(`ServiceRequest/${e.order.request.id}`);
  const received = e.dicom?.received;
  return {
    studyInstanceUid: e.uid,
    ...(accession ? { accession } : {}),
    patient: {
      ...patientView(e.patientId, ctx?.patient),
      ...(ctx?.recordPatientId ? { recordId: ctx.recordPatientId } : {}),
    },
    ...studyFields(e.study),
    ...(received !== undefined ? { received: new Date(received).toISOString() } : {}),
    rank,
    score: s.score,
    tier: s.tier,
    terms: recordBase && external.size ? recordEvidence(s.terms, external, recordBase) : s.terms,
    status: e.read ? 'read' : 'unread',
  };
}

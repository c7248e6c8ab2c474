/**
 * The case table's shorthand (cases/README.md) turned into FHIR R4 resources: shared by the golden
 * test of the pure check and the test that runs the table through real FHIR servers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeableConcept,
  Condition,
  DiagnosticReport,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Procedure,
} from '@medplum/fhirtypes';
import type { FactorId, Guideline, StrokeRecord } from './types.js';

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const DIR = join(import.meta.dirname, 'cases');

/** Every case of cases/*.json with its file name. */
export function loadCases(): { file: string; c: Case }[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Case[]).map((c) => ({ file: f, c })));
}

export interface Case {
  name: string;
  referenceTime?: string;
  assessedAt?: string;
  guideline?: Guideline;
  patient?: { gender?: string; birthDate?: string };
  emptyRecord?: boolean;
  record: {
    labs?: { code: string; value: number; unit: string; at: string; status?: string }[];
    bp?: { systolic: number; diastolic: number; at: string; panel?: boolean }[];
    hcg?: { result: string; at: string }[];
    conditions?: { code: string; onset?: string; recorded?: string; clinical?: string | null; verification?: string }[];
    procedures?: { code: string; performed?: string }[];
    administrations?: { code?: string; text?: string; at?: string; status?: string }[];
    statements?: { code?: string; text?: string; at?: string; status?: string }[];
    requests?: { code?: string; text?: string; status?: string }[];
    results?: {
      otherStudy?: boolean;
      observations?: { code?: string; text?: string; value?: boolean; status?: string }[];
      reports?: { conclusion: string; status?: string }[];
    };
    failed?: string[];
  };
  expect: Partial<Record<FactorId, string>>;
  tiers?: Partial<Record<FactorId, string>>;
  reasonIncludes?: Partial<Record<FactorId, string>>;
}

const REF = '2026-03-01T10:00:00Z';
const UNIT = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `-2h`, `+20m`, `-90d` relative to the reference time; an ISO time as is. */
function at(rel: string | undefined, ref: number): string | undefined {
  if (rel === undefined) return undefined;
  const m = /^([+-]\d+)([mhd])$/.exec(rel);
  return m ? new Date(ref + Number(m[1]) * UNIT[m[2] as keyof typeof UNIT]).toISOString() : rel;
}

const SYSTEMS: Record<string, string> = {
  sct: 'http://snomed.info/sct',
  icd: 'http://hl7.org/fhir/sid/icd-10-cm',
  rx: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  atc: 'http://www.whocc.no/atc',
  loinc: 'http://loinc.org',
};

function concept(code?: string, text?: string): CodeableConcept {
  const [prefix, value] = code ? code.split(/:(.*)/s) : [];
  return {
    ...(code ? { coding: [{ system: SYSTEMS[prefix!] ?? prefix, code: value }] } : {}),
    ...(text ? { text } : {}),
  };
}

const loinc = (code: string): CodeableConcept => ({ coding: [{ system: SYSTEMS.loinc, code }] });

/** A case's shorthand as FHIR R4 resources: `subject` is the patient's reference, results point at `study` (or `otherStudy`). */
export function buildCase(
  c: Case,
  o: { patientId: string; study: string; otherStudy: string; idPrefix?: string } = {
    patientId: 'p1',
    study: 'ImagingStudy/s1',
    otherStudy: 'ImagingStudy/other',
  },
): { record: StrokeRecord; ref: number; assessedAt: number } {
  const subject = { reference: `Patient/${o.patientId}` };
  const ref = Date.parse(c.referenceTime ?? REF);
  const assessedAt = Date.parse(at(c.assessedAt ?? '+30m', ref)!);
  const r = c.record;
  let n = 0;
  const id = () => `${o.idPrefix ?? ''}r${++n}`;
  const observations: Observation[] = [
    ...(r.labs ?? []).map(
      (l): Observation => ({
        resourceType: 'Observation',
        id: id(),
        status: (l.status ?? 'final') as Observation['status'],
        code: loinc(l.code),
        subject,
        effectiveDateTime: at(l.at, ref),
        valueQuantity: { value: l.value, unit: l.unit, system: 'http://unitsofmeasure.org', code: l.unit },
      }),
    ),
    ...(r.bp ?? []).flatMap((b): Observation[] => {
      const q = (value: number) => ({ value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
      const base = {
        resourceType: 'Observation' as const,
        status: 'final' as const,
        subject,
        effectiveDateTime: at(b.at, ref),
      };
      return b.panel
        ? [
            {
              ...base,
              id: id(),
              code: loinc('85354-9'),
              component: [
                { code: loinc('8480-6'), valueQuantity: q(b.systolic) },
                { code: loinc('8462-4'), valueQuantity: q(b.diastolic) },
              ],
            },
          ]
        : [
            { ...base, id: id(), code: loinc('8480-6'), valueQuantity: q(b.systolic) },
            { ...base, id: id(), code: loinc('8462-4'), valueQuantity: q(b.diastolic) },
          ];
    }),
    ...(r.hcg ?? []).map(
      (h): Observation => ({
        resourceType: 'Observation',
        id: id(),
        status: 'final',
        code: loinc('2106-3'),
        subject,
        effectiveDateTime: at(h.at, ref),
        valueCodeableConcept: { text: h.result },
      }),
    ),
  ];
  const baseline = !c.emptyRecord;
  const conditions: Condition[] = [
    ...(baseline ? [{ code: 'sct:38341003', recorded: '-3000d', clinical: 'active' }] : []),
    ...(r.conditions ?? []),
  ].map((x) => ({
    resourceType: 'Condition',
    id: id(),
    subject,
    code: concept(x.code),
    ...(x.clinical !== null
      ? { clinicalStatus: { coding: [{ system: CLINICAL, code: x.clinical ?? 'active' }] } }
      : {}),
    verificationStatus: { coding: [{ system: VERIFICATION, code: x.verification ?? 'confirmed' }] },
    ...(x.onset ? { onsetDateTime: at(x.onset, ref) } : {}),
    ...(x.recorded ? { recordedDate: at(x.recorded, ref) } : {}),
  }));
  const procedures: Procedure[] = (r.procedures ?? []).map((p) => ({
    resourceType: 'Procedure',
    id: id(),
    status: 'completed',
    subject,
    code: concept(p.code),
    ...(p.performed ? { performedDateTime: at(p.performed, ref) } : {}),
  }));
  const requests: MedicationRequest[] = [
    ...(baseline ? [{ code: 'rx:197361', text: 'amlodipine 5 MG Oral Tablet', status: 'active' }] : []),
    ...(r.requests ?? []),
  ].map((m) => ({
    resourceType: 'MedicationRequest',
    id: id(),
    status: (m.status ?? 'active') as MedicationRequest['status'],
    intent: 'order',
    subject,
    medicationCodeableConcept: concept(m.code, m.text),
  }));
  const statements: MedicationStatement[] = (r.statements ?? []).map((m) => ({
    resourceType: 'MedicationStatement',
    id: id(),
    status: (m.status ?? 'active') as MedicationStatement['status'],
    subject,
    medicationCodeableConcept: concept(m.code, m.text),
    ...(m.at ? { effectiveDateTime: at(m.at, ref) } : {}),
  }));
  const administrations: MedicationAdministration[] = (r.administrations ?? []).map((m) => ({
    resourceType: 'MedicationAdministration',
    id: id(),
    status: (m.status ?? 'completed') as MedicationAdministration['status'],
    subject,
    medicationCodeableConcept: concept(m.code, m.text),
    effectiveDateTime: at(m.at, ref),
  }));
  const study = r.results?.otherStudy ? o.otherStudy : o.study;
  const resultObservations: Observation[] = (r.results?.observations ?? []).map((o) => ({
    resourceType: 'Observation',
    id: id(),
    status: (o.status ?? 'preliminary') as Observation['status'],
    code: concept(o.code, o.text),
    subject,
    partOf: [{ reference: study }],
    ...(o.value !== undefined ? { valueBoolean: o.value } : {}),
  }));
  const reports: DiagnosticReport[] = (r.results?.reports ?? []).map((x) => ({
    resourceType: 'DiagnosticReport',
    id: id(),
    status: (x.status ?? 'preliminary') as DiagnosticReport['status'],
    code: { text: 'CT head' },
    subject,
    imagingStudy: [{ reference: study }],
    conclusion: x.conclusion,
  }));
  const failed = new Set(r.failed ?? []);
  const or = <T>(section: string, v: T): T | null => (failed.has(section) ? null : v);
  return {
    ref,
    assessedAt,
    record: {
      patient: {
        resourceType: 'Patient',
        id: o.patientId,
        gender: 'female',
        birthDate: '1950-01-01',
        ...c.patient,
      } as StrokeRecord['patient'],
      observations: or('observations', observations),
      conditions: or('conditions', conditions),
      procedures: or('procedures', procedures),
      medications: or('medications', { requests, statements, administrations, medications: [] }),
      results: or('results', { observations: resultObservations, reports }),
      study: o.study,
      failures: [...failed].map((section) => ({ section, error: 'timeout' })),
    },
  };
}

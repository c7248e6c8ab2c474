/**
 * The rest of the tumor-board summary, from the record: diagnosis, treatment lines, tumor-marker
 * and treatment-limiting lab trends, performance status and the clinician's recorded disease
 * status (mCODE CancerDiseaseStatus) set beside the computed category.
 */
import type {
  CodeableConcept,
  Condition,
  Medication,
  MedicationRequest,
  Observation,
  Procedure,
} from '@medplum/fhirtypes';
import codes from './codes/oncology-codes.json' with { type: 'json' };
import { codeIn, codings, conceptText, DAY, LOINC, refId, SNOMED, time } from './fhir.js';
import type { OverallResponse, Timepoint } from './types.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const ICD10 = new Set(['http://hl7.org/fhir/sid/icd-10-cm', 'http://hl7.org/fhir/sid/icd-10']);
const HISTOLOGY = 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior';
const PRIMARY_PROFILE = 'mcode-primary-cancer-condition';
const MARKERS = new Map(codes.markers.map((m) => [m.code, m.display]));
const LABS = new Map(codes.limitingLabs.map((m) => [m.code, m.display]));
const PERFORMANCE = new Map(codes.performance.map((p) => [p.code, p.scale]));
const STATUS = new Map(codes.diseaseStatus.values.map((v) => [v.code, v.value]));
const CANCER_SCT = new Set(codes.primaryCancerSnomed);
const DRUGS = new Set(codes.antineoplasticRxNorm);
const CANCER_PROCEDURES = new Set(codes.cancerProcedureSnomed.map((c) => c.code));
/** Medications started within 28 days of a line's first one belong to that line (one regimen). */
const LINE_WINDOW_MS = 28 * DAY;

export interface Diagnosis {
  condition: string;
  code: CodeableConcept;
  onset?: string;
  stage?: string;
  histology?: string;
  bodySite?: string;
}

export function diagnoses(conditions: Condition[]): Diagnosis[] {
  return conditions.filter(isPrimaryCancer).map((c) => {
    const histology = c.extension?.find((e) => e.url === HISTOLOGY)?.valueCodeableConcept;
    const noted = c.note?.map((n) => /Histology:\s*([^.]+)/.exec(n.text ?? '')?.[1]).find((x) => x);
    const stage = c.stage?.[0]?.summary;
    const onset = c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate;
    return {
      condition: `Condition/${c.id}`,
      code: c.code ?? {},
      ...(onset ? { onset } : {}),
      ...(stage ? { stage: conceptText(stage) } : {}),
      ...(histology ? { histology: conceptText(histology) } : noted ? { histology: noted } : {}),
      ...(c.bodySite?.[0] ? { bodySite: conceptText(c.bodySite[0]) } : {}),
    };
  });
}

function isPrimaryCancer(c: Condition): boolean {
  if (codings(c.verificationStatus).some((x) => x.code === 'entered-in-error' || x.code === 'refuted')) return false;
  if (c.meta?.profile?.some((p) => p.includes(PRIMARY_PROFILE))) return true;
  return codings(c.code).some(
    (x) =>
      (x.system === SNOMED && !!x.code && CANCER_SCT.has(x.code)) ||
      (!!x.system && ICD10.has(x.system) && /^C/i.test(x.code ?? '')),
  );
}

export interface Treatment {
  line: number | null;
  medication?: string;
  procedure?: string;
  reference: string;
  start?: string;
  end?: string;
  status?: string;
  reasonStopped?: string;
}

export function treatments(
  requests: MedicationRequest[],
  medications: Medication[],
  procedures: Procedure[],
  diagnosisRefs: Set<string>,
): Treatment[] {
  const meds = new Map(medications.map((m) => [`Medication/${m.id}`, m]));
  const forCancer = (reasons: { reference?: string }[] | undefined) =>
    (reasons ?? []).some((r) => diagnosisRefs.has(refId(r, 'Condition') ?? ''));
  const drug = (r: MedicationRequest) =>
    r.medicationCodeableConcept ?? meds.get(refId(r.medicationReference, 'Medication') ?? '')?.code;
  const rows = requests
    .filter(
      (r) => r.status !== 'entered-in-error' && (forCancer(r.reasonReference) || !!codeIn(drug(r), RXNORM, DRUGS)),
    )
    .map((r) => {
      const bounds = r.dosageInstruction?.[0]?.timing?.repeat?.boundsPeriod;
      const start = bounds?.start ?? r.authoredOn;
      return {
        line: null as number | null,
        medication: conceptText(drug(r)) ?? r.medicationReference?.display ?? 'medication',
        reference: `MedicationRequest/${r.id}`,
        ...(start ? { start } : {}),
        ...(bounds?.end ? { end: bounds.end } : {}),
        status: r.status,
        ...(r.statusReason ? { reasonStopped: conceptText(r.statusReason) } : {}),
      };
    })
    .sort((a, b) => (time(a.start) ?? 0) - (time(b.start) ?? 0) || a.reference.localeCompare(b.reference));
  const lineStarts: number[] = [];
  for (const row of rows) {
    const t = time(row.start) ?? 0;
    if (!lineStarts.length || t - lineStarts.at(-1)! > LINE_WINDOW_MS) lineStarts.push(t);
    row.line = lineStarts.length;
  }
  const lineAt = (t: number | undefined) => {
    if (t === undefined) return null;
    const i = lineStarts.findLastIndex((s) => s <= t + LINE_WINDOW_MS);
    return i < 0 ? null : i + 1;
  };
  const procs: Treatment[] = procedures
    .filter(
      (p) =>
        p.status !== 'entered-in-error' &&
        (forCancer(p.reasonReference) || !!codeIn(p.code, SNOMED, CANCER_PROCEDURES)),
    )
    .map((p) => {
      const start = p.performedPeriod?.start ?? p.performedDateTime;
      const end = p.performedPeriod?.end;
      const note = p.note?.[0]?.text;
      return {
        line: lineAt(time(start)),
        procedure: `${conceptText(p.code) ?? 'procedure'}${note ? ` (${note})` : ''}`,
        reference: `Procedure/${p.id}`,
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
        status: p.status,
        ...(p.statusReason ? { reasonStopped: conceptText(p.statusReason) } : {}),
      };
    });
  return [...rows, ...procs].sort((a, b) => (time(a.start) ?? 0) - (time(b.start) ?? 0));
}

export interface Trend {
  code: { system: string; code: string; display: string };
  trend: { effective: string; value: number; unit?: string; observation: string }[];
}

/** Numeric results of the listed LOINC codes, oldest first. */
export function trends(observations: Observation[], which: 'markers' | 'labs', since?: number): Trend[] {
  const table = which === 'markers' ? MARKERS : LABS;
  const out = new Map<string, Trend>();
  for (const o of observations) {
    const code = codeIn(o.code, LOINC, new Set(table.keys()));
    const effective = o.effectiveDateTime ?? o.issued;
    if (!code || !usable(o) || typeof o.valueQuantity?.value !== 'number' || !effective) continue;
    if (since !== undefined && (time(effective) ?? 0) < since) continue;
    const t = out.get(code) ?? { code: { system: LOINC, code, display: table.get(code)! }, trend: [] };
    t.trend.push({
      effective,
      value: o.valueQuantity.value,
      ...(o.valueQuantity.unit || o.valueQuantity.code ? { unit: o.valueQuantity.unit ?? o.valueQuantity.code } : {}),
      observation: `Observation/${o.id}`,
    });
    out.set(code, t);
  }
  for (const t of out.values()) t.trend.sort((a, b) => (time(a.effective) ?? 0) - (time(b.effective) ?? 0));
  return [...out.values()];
}

const usable = (o: Observation) => ['final', 'amended', 'corrected', 'preliminary'].includes(o.status);

export interface Performance {
  scale: 'ECOG' | 'Karnofsky';
  value: number;
  effective: string;
  observation: string;
}

export function performance(observations: Observation[], since?: number): Performance[] {
  const out: Performance[] = [];
  for (const o of observations) {
    const code = codeIn(o.code, LOINC, new Set(PERFORMANCE.keys()));
    const effective = o.effectiveDateTime ?? o.issued;
    if (!code || !usable(o) || !effective || (since !== undefined && (time(effective) ?? 0) < since)) continue;
    const value =
      o.valueInteger ??
      o.valueQuantity?.value ??
      Number.parseInt(codings(o.valueCodeableConcept).find((c) => /^\d+$/.test(c.display ?? ''))?.display ?? '', 10);
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    out.push({
      scale: PERFORMANCE.get(code) as Performance['scale'],
      value,
      effective,
      observation: `Observation/${o.id}`,
    });
  }
  return out.sort((a, b) => (time(a.effective) ?? 0) - (time(b.effective) ?? 0));
}

export interface ClinicianStatus {
  effective: string;
  value: 'improved' | 'stable' | 'worsened' | 'undetermined';
  observation: string;
  /** The computed category it is compared with (the latest time point on or before it). */
  computed: OverallResponse | null;
  agreesWithComputed: boolean | null;
}

/** mCODE CancerDiseaseStatus (LOINC 97509-4); disagreement: improved vs PD, worsened vs PR / CR. */
export function clinicianStatus(
  observations: Observation[],
  timepoints: Timepoint[],
  since?: number,
): ClinicianStatus[] {
  const out: ClinicianStatus[] = [];
  for (const o of observations) {
    if (!codeIn(o.code, LOINC, new Set([codes.diseaseStatus.code])) || !usable(o)) continue;
    const code = codeIn(o.valueCodeableConcept, SNOMED, new Set(STATUS.keys()));
    const effective = o.effectiveDateTime ?? o.issued;
    if (!code || !effective || (since !== undefined && (time(effective) ?? 0) < since)) continue;
    const value = STATUS.get(code) as ClinicianStatus['value'];
    const at = effective.slice(0, 10);
    const tp = timepoints.filter((t) => t.date <= at && t.overallResponse !== 'baseline').at(-1);
    const computed = tp?.overallResponse ?? null;
    const disagrees =
      (value === 'improved' && computed === 'PD') || (value === 'worsened' && (computed === 'PR' || computed === 'CR'));
    out.push({
      effective,
      value,
      observation: `Observation/${o.id}`,
      computed,
      agreesWithComputed: computed === null ? null : !disagrees,
    });
  }
  return out.sort((a, b) => (time(a.effective) ?? 0) - (time(b.effective) ?? 0));
}

import type { FhirResource } from '../fhir/types.js';
import {
  CONDITION_CATEGORY,
  CONDITION_CLINICAL,
  CONDITION_VERIFICATION,
  ENCOUNTER_CLASS,
  FLAG_CATEGORY,
  OBSERVATION_CATEGORY,
  PROCEDURES,
  UCUM,
  V2_0203,
  VITALS,
  type Code,
  type Measure,
} from './codes.js';
import {
  locationRef,
  practitionerDicomName,
  practitionerRef,
  type LocationKey,
  type PractitionerKey,
} from './facility.js';
import {
  ACCESSION_SYSTEM,
  DEMO_SYSTEM,
  DEMO_UID_ROOT,
  FLAG_CODE_SYSTEM,
  MRN_SYSTEM,
  ORDER_CODE_SYSTEM,
  TEST_DATA_LABEL,
  urnFor,
} from './identifiers.js';
import { referenceRangeOf } from './reference-ranges.js';
import type { DemoEntry, DemoPatient, DemoSeries, DemoStudy, OrderPriority, PatientRecord } from './types.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** FHIR instant/dateTime in UTC, without milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const concept = (codes: Code | Code[], text?: string) => ({
  coding: Array.isArray(codes) ? codes : [codes],
  ...(text ? { text } : {}),
});
const category = (system: string, code: string) => [{ coding: [{ system, code }] }];

export interface StudyOrder {
  label: string;
  encounter?: string;
  start: number;
  modality: DemoStudy['modality'];
  bodyPart: string;
  description: string;
  orderCode: string;
  priority: OrderPriority;
  reason: string;
  series: Omit<DemoSeries, 'number'>[];
  requester: PractitionerKey;
  /** The earlier order this one follows up (ServiceRequest.basedOn). */
  basedOn?: string;
}

/**
 * Collects one patient's resources as conditional-create entries with stable urn:uuids, and
 * the imaging studies ordered for them. Every resource carries the test-data label and an
 * identifier `<mrn>-<label>` that makes re-loading find it instead of creating it again.
 */
export class RecordBuilder {
  readonly entries: DemoEntry[] = [];
  readonly studies: DemoStudy[] = [];
  readonly patientUrl: string;

  constructor(
    readonly patient: DemoPatient,
    private readonly patientNumber: number,
  ) {
    this.patientUrl = urnFor(`patient|${patient.mrn}`);
    const identifier = { system: MRN_SYSTEM, value: patient.mrn };
    this.entries.push({
      fullUrl: this.patientUrl,
      key: identifier,
      resource: {
        resourceType: 'Patient',
        meta: { security: [TEST_DATA_LABEL] },
        identifier: [{ use: 'usual', type: { coding: [{ system: V2_0203, code: 'MR' }] }, ...identifier }],
        active: true,
        name: [{ use: 'official', family: patient.family, given: [patient.given] }],
        gender: patient.sex === 'M' ? 'male' : 'female',
        birthDate: patient.birthDate,
      },
    });
  }

  record(): PatientRecord {
    return { patient: this.patient, entries: this.entries, studies: this.studies };
  }

  /** Adds a resource keyed `<mrn>-<label>`; returns its urn:uuid for references. */
  add(label: string, resource: FhirResource): string {
    const key = { system: DEMO_SYSTEM, value: `${this.patient.mrn}-${label}` };
    const fullUrl = urnFor(`${key.value}`);
    this.entries.push({
      fullUrl,
      key,
      resource: {
        ...resource,
        meta: { security: [TEST_DATA_LABEL] },
        // A resource's own identifiers (a lesion's tracking ids) are kept after the demo key.
        identifier: [key, ...((resource.identifier as unknown[] | undefined) ?? [])],
      },
    });
    return fullUrl;
  }

  private get subject() {
    return { reference: this.patientUrl };
  }

  encounter(
    label: string,
    o: {
      cls: keyof typeof ENCOUNTER_CLASS;
      start: number;
      end?: number;
      location: LocationKey;
      reason: string;
      priority?: 'EM' | 'UR' | 'R';
    },
  ): string {
    return this.add(label, {
      resourceType: 'Encounter',
      status: o.end === undefined ? 'in-progress' : 'finished',
      class: ENCOUNTER_CLASS[o.cls],
      ...(o.priority
        ? {
            priority: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: o.priority }],
            },
          }
        : {}),
      subject: this.subject,
      period: { start: iso(o.start), ...(o.end !== undefined ? { end: iso(o.end) } : {}) },
      reasonCode: [{ text: o.reason }],
      location: [{ location: locationRef(o.location), status: o.end === undefined ? 'active' : 'completed' }],
    });
  }

  condition(
    label: string,
    codes: Code[],
    o: { onset?: number; recorded: number; resolved?: number; encounter?: string; note?: string; stage?: string },
  ): string {
    return this.add(label, {
      resourceType: 'Condition',
      clinicalStatus: {
        coding: [{ system: CONDITION_CLINICAL, code: o.resolved === undefined ? 'active' : 'resolved' }],
      },
      verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
      category: category(CONDITION_CATEGORY, o.encounter ? 'encounter-diagnosis' : 'problem-list-item'),
      code: concept(codes),
      subject: this.subject,
      ...(o.encounter ? { encounter: { reference: o.encounter } } : {}),
      ...(o.onset !== undefined ? { onsetDateTime: iso(o.onset) } : {}),
      ...(o.resolved !== undefined ? { abatementDateTime: iso(o.resolved) } : {}),
      recordedDate: iso(o.recorded),
      ...(o.stage ? { stage: [{ summary: { text: o.stage } }] } : {}),
      ...(o.note ? { note: [{ text: o.note }] } : {}),
    });
  }

  /** A numeric lab or vital sign in its UCUM unit (`unit` overrides the measure's, e.g. glucose in mmol/L). */
  measure(
    label: string,
    m: Measure,
    value: number,
    at: number,
    o: { encounter?: string; status?: 'final' | 'preliminary' | 'entered-in-error'; unit?: string } = {},
  ): string {
    const unit = o.unit ?? m.unit;
    const referenceRange = referenceRangeOf(m.code.code, unit, UCUM);
    return this.add(label, {
      ...this.observationBase(m.code, m.category, at, o.encounter, o.status),
      valueQuantity: { value, unit, system: UCUM, code: unit },
      ...(referenceRange.length ? { referenceRange } : {}),
    });
  }

  /**
   * Systolic and diastolic as two Observations. The 85354-9 panel with two components is the
   * usual shape, but the embedded server cannot index it yet: `(Observation.component.value as
   * Quantity)` fails on more than one component (reported; switch back once fixed).
   */
  bloodPressure(label: string, systolic: number, diastolic: number, at: number, encounter?: string): void {
    const mmHg = (value: number) => ({ valueQuantity: { value, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } });
    this.add(`${label}-systolic`, {
      ...this.observationBase(VITALS.systolic, 'vital-signs', at, encounter),
      ...mmHg(systolic),
    });
    this.add(`${label}-diastolic`, {
      ...this.observationBase(VITALS.diastolic, 'vital-signs', at, encounter),
      ...mmHg(diastolic),
    });
  }

  score(label: string, code: Code, value: number, at: number, encounter?: string): string {
    return this.add(label, { ...this.observationBase(code, 'survey', at, encounter), valueInteger: value });
  }

  coded(label: string, code: Code, value: Code, at: number, encounter?: string): string {
    return this.add(label, {
      ...this.observationBase(code, 'exam', at, encounter),
      valueCodeableConcept: concept(value),
    });
  }

  private observationBase(code: Code, cat: string, at: number, encounter?: string, status = 'final'): FhirResource {
    return {
      resourceType: 'Observation',
      status,
      category: category(OBSERVATION_CATEGORY, cat),
      code: concept(code),
      subject: this.subject,
      ...(encounter ? { encounter: { reference: encounter } } : {}),
      effectiveDateTime: iso(at),
      issued: iso(at + 20 * 60_000),
    };
  }

  medicationRequest(
    label: string,
    med: Code,
    o: {
      authored: number;
      status: 'active' | 'completed' | 'stopped';
      dosage: string;
      period?: [number, number?];
      stoppedReason?: string;
      requester?: PractitionerKey;
      encounter?: string;
    },
  ): string {
    return this.add(label, {
      resourceType: 'MedicationRequest',
      status: o.status,
      ...(o.stoppedReason ? { statusReason: { text: o.stoppedReason } } : {}),
      intent: 'order',
      medicationCodeableConcept: concept(med),
      subject: this.subject,
      ...(o.encounter ? { encounter: { reference: o.encounter } } : {}),
      authoredOn: iso(o.authored),
      ...(o.requester ? { requester: practitionerRef(o.requester) } : {}),
      dosageInstruction: [
        {
          text: o.dosage,
          ...(o.period
            ? {
                timing: {
                  repeat: {
                    boundsPeriod: {
                      start: iso(o.period[0]),
                      ...(o.period[1] !== undefined ? { end: iso(o.period[1]) } : {}),
                    },
                  },
                },
              }
            : {}),
        },
      ],
    });
  }

  /** A dose given; `mg` is the amount (mad-1: a dose or a rate is required). */
  medicationAdministration(
    label: string,
    med: Code,
    at: number,
    mg: number,
    route: string,
    encounter?: string,
  ): string {
    return this.add(label, {
      resourceType: 'MedicationAdministration',
      status: 'completed',
      medicationCodeableConcept: concept(med),
      subject: this.subject,
      ...(encounter ? { context: { reference: encounter } } : {}),
      effectiveDateTime: iso(at),
      dosage: { text: `${mg} mg ${route}`, dose: { value: mg, unit: 'mg', system: UCUM, code: 'mg' } },
    });
  }

  /** What the patient reports taking; `lastDose` is when they last took it. */
  medicationStatement(label: string, med: Code, lastDose: number, asserted: number): string {
    return this.add(label, {
      resourceType: 'MedicationStatement',
      status: 'active',
      medicationCodeableConcept: concept(med),
      subject: this.subject,
      effectiveDateTime: iso(lastDose),
      dateAsserted: iso(asserted),
      informationSource: this.subject,
      note: [{ text: 'Last dose as reported by the patient on arrival.' }],
    });
  }

  procedure(label: string, code: Code, o: { start: number; end?: number; note?: string }): string {
    return this.add(label, {
      resourceType: 'Procedure',
      status: o.end === undefined ? 'in-progress' : 'completed',
      code: concept(code),
      subject: this.subject,
      performedPeriod: { start: iso(o.start), ...(o.end !== undefined ? { end: iso(o.end) } : {}) },
      ...(o.note ? { note: [{ text: o.note }] } : {}),
    });
  }

  flag(
    label: string,
    o: {
      code: string;
      text: string;
      category: 'clinical' | 'safety' | 'admin';
      start: number;
      end?: number;
      encounter?: string;
    },
  ): string {
    return this.add(label, {
      resourceType: 'Flag',
      status: o.end === undefined ? 'active' : 'inactive',
      category: category(FLAG_CATEGORY, o.category),
      code: { coding: [{ system: FLAG_CODE_SYSTEM, code: o.code, display: o.text }], text: o.text },
      subject: this.subject,
      period: { start: iso(o.start), ...(o.end !== undefined ? { end: iso(o.end) } : {}) },
      ...(o.encounter ? { encounter: { reference: o.encounter } } : {}),
    });
  }

  chemotherapy(label: string, start: number, end: number | undefined, regimen: string): string {
    return this.procedure(label, PROCEDURES.chemotherapy, { start, end, note: regimen });
  }

  /** The order (ServiceRequest with the accession number) and the study that fulfils it. */
  imaging(o: StudyOrder): string {
    const n = this.studies.length + 1;
    const accession = `ACC${String(this.patientNumber).padStart(3, '0')}${String(n).padStart(2, '0')}`;
    const orderCode = { system: ORDER_CODE_SYSTEM, code: o.orderCode, display: o.description };
    const key = { system: ACCESSION_SYSTEM, value: accession };
    const fullUrl = urnFor(`order|${accession}`);
    this.entries.push({
      fullUrl,
      key,
      resource: {
        resourceType: 'ServiceRequest',
        meta: { security: [TEST_DATA_LABEL] },
        identifier: [{ type: { coding: [{ system: V2_0203, code: 'ACSN' }] }, ...key }],
        ...(o.basedOn ? { basedOn: [{ reference: o.basedOn }] } : {}),
        status: 'completed',
        intent: 'order',
        category: [concept(PROCEDURES.imaging)],
        priority: o.priority,
        code: { coding: [orderCode], text: o.description },
        subject: this.subject,
        ...(o.encounter ? { encounter: { reference: o.encounter } } : {}),
        occurrenceDateTime: iso(o.start),
        authoredOn: iso(o.start - (o.priority === 'stat' ? 15 : 60 * 24) * 60_000),
        requester: practitionerRef(o.requester),
        reasonCode: [{ text: o.reason }],
      },
    });
    this.studies.push({
      uid: `${DEMO_UID_ROOT}.${this.patientNumber}.${n}`,
      accession,
      patient: this.patient,
      start: o.start,
      modality: o.modality,
      bodyPart: o.bodyPart,
      description: o.description,
      priority: o.priority,
      orderCode,
      series: o.series.map((s, i) => ({ ...s, number: i + 1 })),
      referringPhysician: practitionerDicomName(o.requester),
    });
    return fullUrl;
  }
}

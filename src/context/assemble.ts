/**
 * The patient context, assembled: (patient, fetched sections, sources, request) → the JSON
 * document and the FHIR resources it was built from. Pure: no clock, no I/O (the service
 * passes `now` and measures the queries).
 */
import type {
  AllergyIntolerance,
  Condition,
  DiagnosticReport,
  Encounter,
  Flag,
  ImagingStudy,
  Observation,
  Patient,
} from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import type { AccessPolicy } from '../fhir/access/access-policy.js';
import { buildAllergies, buildConditions, buildEncounters, buildFlags } from './clinical.js';
import { allTyped, asArray, key, str, typed } from './fhir-read.js';
import { buildImagingStudies, buildReports } from './imaging.js';
import { buildMedications, type MedicationResource } from './medications.js';
import { buildObservations } from './observations.js';
import type { ContextRequest } from './params.js';
import { SECTIONS, type SectionName } from './sections.js';
import type { PatientContext, PatientSummary, SectionItems, SectionSummaries, SourceRecord } from './summaries.js';

export type { PatientContext, PatientSummary, SourceRecord } from './summaries.js';

/** What one section's queries returned: matches and their _include'd resources. */
export interface SectionData {
  resources: FhirResource[];
  included: FhirResource[];
}

export interface AssemblyInput {
  patient: FhirResource;
  /** Per requested section: its data, or null when a query failed or was denied (see sources). */
  sections: Partial<Record<SectionName, SectionData | null>>;
  sources: SourceRecord[];
  request: ContextRequest;
  /** Base of WADO-RS URLs: `${publicUrl}/dicomweb`. */
  dicomWebBase: string;
  now: number;
  policy: AccessPolicy;
}

export interface Assembled {
  context: PatientContext;
  /** Per section, the resources its items came from (the Bundle's entries). */
  resources: FhirResource[];
}

/** Read defensively (fhir-read.ts): the Patient may come from an external EHR. */
function patientSummary(p: Patient): PatientSummary {
  const names = asArray(p.name);
  const name = names.find((n) => n.use === 'official') ?? names[0];
  const text = str(name?.text) ?? [...asArray(name?.given), str(name?.family)].filter(Boolean).join(' ');
  const out: PatientSummary = {
    id: p.id!,
    identifier: asArray(p.identifier).map((i) => {
      const system = str(i.system);
      const value = str(i.value);
      return { ...(system ? { system } : {}), ...(value ? { value } : {}) };
    }),
  };
  if (text) out.name = text;
  const gender = str(p.gender);
  if (gender) out.gender = gender;
  const birthDate = str(p.birthDate);
  if (birthDate) out.birthDate = birthDate;
  if (typeof p.deceasedBoolean === 'boolean') out.deceased = p.deceasedBoolean;
  const deceased = str(p.deceasedDateTime);
  if (deceased) out.deceased = deceased;
  return out;
}

/** Each section's builder: its query's resources (as their R4 type) → summaries and the resources used. */
type Builders = {
  [S in SectionName]: (d: SectionData) => { items: SectionSummaries[S][]; used: FhirResource[] };
};

export function assembleContext(input: AssemblyInput): Assembled {
  const { request, policy } = input;
  const since = request.since;
  const visible = (d: SectionData | null | undefined): SectionData | null =>
    d
      ? {
          resources: d.resources.filter((r) => policy.canSee(r)),
          included: d.included.filter((r) => policy.canSearch(r.resourceType) && policy.canSee(r)),
        }
      : null;
  const context: PatientContext = {
    patient: patientSummary(typed<Patient>(input.patient)),
    complete: true,
    sources: input.sources,
  };
  const resources: FhirResource[] = [input.patient];
  const studiesData = visible(input.sections.imagingStudies);

  const build: Builders = {
    imagingStudies: (d) =>
      buildImagingStudies(allTyped<ImagingStudy>(d.resources), {
        dicomWebBase: input.dicomWebBase,
        since,
        limit: request.studyLimit,
      }),
    conditions: (d) => buildConditions(allTyped<Condition>(d.resources), { since }),
    medications: (d) =>
      buildMedications(allTyped<MedicationResource>(d.resources), d.included, { since, now: input.now }),
    observations: (d) => buildObservations(allTyped<Observation>(d.resources), { since }),
    allergies: (d) => buildAllergies(allTyped<AllergyIntolerance>(d.resources), { since }),
    encounters: (d) => buildEncounters(allTyped<Encounter>(d.resources), d.included, { since }),
    flags: (d) => buildFlags(allTyped<Flag>(d.resources), { since }),
    reports: (d) =>
      buildReports(
        allTyped<DiagnosticReport>(d.resources),
        d.included,
        allTyped<ImagingStudy>(studiesData?.resources ?? []),
        {
          since,
        },
      ),
  };
  const items: SectionItems = context;
  const fill = <S extends SectionName>(section: S): void => {
    const data = visible(input.sections[section]);
    if (!data) {
      items[section] = null;
      context.complete = false;
      return;
    }
    const built = build[section](data);
    // TypeScript does not resolve an optional mapped type indexed by a type parameter: the same type, spelled out.
    items[section] = built.items as SectionItems[S];
    resources.push(...built.used);
  };
  for (const section of SECTIONS) if (request.include.includes(section)) fill(section);
  if (input.sources.some((s) => s.status !== 'ok')) context.complete = false;
  // Key order: patient, sections, complete, sources.
  const { sources, complete, ...rest } = context;
  const seen = new Set<string>();
  const unique = resources.filter((r) => {
    const k = key(r);
    return !seen.has(k) && !!seen.add(k);
  });
  return { context: { ...rest, complete, sources }, resources: unique };
}

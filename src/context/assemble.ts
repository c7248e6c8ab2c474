/**
 * The patient context, assembled: (patient, fetched sections, sources, request) → the JSON
 * document and the FHIR resources it was built from. Pure: no clock, no I/O (the service
 * passes `now` and measures the queries).
 */
import type { FhirResource } from '../fhir/types.js';
import type { AccessPolicy } from '../fhir/access/access-policy.js';
import { buildAllergies, buildConditions, buildEncounters, buildFlags } from './clinical.js';
import { asArray, key, str } from './fhir-read.js';
import { buildImagingStudies, buildReports } from './imaging.js';
import { buildMedications } from './medications.js';
import { buildObservations } from './observations.js';
import type { ContextRequest } from './params.js';
import { SECTIONS, type SectionName } from './sections.js';

/** What one section's queries returned: matches and their _include'd resources. */
export interface SectionData {
  resources: FhirResource[];
  included: FhirResource[];
}

/** One query made (or deliberately not made) for the context. */
export interface SourceRecord {
  section: SectionName | 'patient';
  /** `embedded` or the name of the external server in fhir.servers. */
  server: string;
  /** The FHIR interaction, e.g. `Condition?patient=123&_count=1000`. */
  request: string;
  /** `denied`: the caller may not see it (no query made); `truncated`: more matches than one page. */
  status: 'ok' | 'truncated' | 'error' | 'timeout' | 'denied';
  durationMs: number;
  count?: number;
  error?: string;
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

export interface PatientSummary {
  id: string;
  identifier: { system?: string; value?: string }[];
  name?: string;
  gender?: string;
  birthDate?: string;
  deceased?: boolean | string;
}

/** The JSON document of GET /api/context (docs/context-api.schema.json). */
export interface PatientContext {
  patient: PatientSummary;
  imagingStudies?: unknown[] | null;
  conditions?: unknown[] | null;
  medications?: unknown[] | null;
  observations?: unknown[] | null;
  allergies?: unknown[] | null;
  encounters?: unknown[] | null;
  flags?: unknown[] | null;
  reports?: unknown[] | null;
  /** False when a section is null (failed or denied) or a query was truncated. */
  complete: boolean;
  sources: SourceRecord[];
}

export interface Assembled {
  context: PatientContext;
  /** Per section, the resources its items came from (the Bundle's entries). */
  resources: FhirResource[];
}

function patientSummary(p: FhirResource): PatientSummary {
  const names = asArray(p.name);
  const name = names.find((n) => n.use === 'official') ?? names[0];
  const text = str(name?.text) ?? [...asArray<string>(name?.given), str(name?.family)].filter(Boolean).join(' ');
  const out: PatientSummary = {
    id: p.id!,
    identifier: asArray(p.identifier).map((i) => ({
      ...(str(i.system) ? { system: i.system as string } : {}),
      ...(str(i.value) ? { value: i.value as string } : {}),
    })),
  };
  if (text) out.name = text;
  if (str(p.gender)) out.gender = p.gender as string;
  if (str(p.birthDate)) out.birthDate = p.birthDate as string;
  if (typeof p.deceasedBoolean === 'boolean') out.deceased = p.deceasedBoolean;
  if (str(p.deceasedDateTime)) out.deceased = p.deceasedDateTime as string;
  return out;
}

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
  const context: PatientContext = { patient: patientSummary(input.patient), complete: true, sources: input.sources };
  const resources: FhirResource[] = [input.patient];
  const studiesData = visible(input.sections.imagingStudies);

  const build: Record<SectionName, (d: SectionData) => { items: unknown[]; used: FhirResource[] }> = {
    imagingStudies: (d) =>
      buildImagingStudies(d.resources, { dicomWebBase: input.dicomWebBase, since, limit: request.studyLimit }),
    conditions: (d) => buildConditions(d.resources, { since }),
    medications: (d) => buildMedications(d.resources, d.included, { since, now: input.now }),
    observations: (d) => buildObservations(d.resources, { since }),
    allergies: (d) => buildAllergies(d.resources, { since }),
    encounters: (d) => buildEncounters(d.resources, d.included, { since }),
    flags: (d) => buildFlags(d.resources, { since }),
    reports: (d) => buildReports(d.resources, d.included, studiesData?.resources ?? [], { since }),
  };
  for (const section of SECTIONS) {
    if (!request.include.includes(section)) continue;
    const data = visible(input.sections[section]);
    if (!data) {
      context[section] = null;
      context.complete = false;
      continue;
    }
    const { items, used } = build[section](data);
    context[section] = items;
    resources.push(...used);
  }
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

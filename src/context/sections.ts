/** The sections of a patient context, in response order; `patient` and `sources` are always there. */
export const SECTIONS = [
  'imagingStudies',
  'conditions',
  'medications',
  'observations',
  'allergies',
  'encounters',
  'flags',
  'reports',
] as const;
export type SectionName = (typeof SECTIONS)[number];

/** The FHIR resource types each section reads (what the caller's scopes must allow). */
export const SECTION_TYPES: Record<SectionName, readonly string[]> = {
  imagingStudies: ['ImagingStudy'],
  conditions: ['Condition'],
  medications: ['MedicationRequest', 'MedicationStatement', 'MedicationAdministration'],
  observations: ['Observation'],
  allergies: ['AllergyIntolerance'],
  encounters: ['Encounter'],
  flags: ['Flag'],
  reports: ['DiagnosticReport'],
};

/** Sections whose data is imaging (read from our own FHIR server when the clinical one is external). */
export const IMAGING_SECTIONS: ReadonlySet<SectionName> = new Set(['imagingStudies', 'reports']);

export const isSection = (s: string): s is SectionName => (SECTIONS as readonly string[]).includes(s);

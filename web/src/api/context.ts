import { getJson } from './http';

/** GET /api/context (docs/context-api.md): the parts the console shows. Sections are null when they failed. */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface Concept {
  coding?: Coding[];
  text?: string;
}
export interface SeriesSummary {
  uid: string;
  number?: number;
  modality?: string;
  description?: string;
  bodySite?: Coding;
  numberOfInstances?: number;
}
export interface StudySummary {
  id: string;
  studyInstanceUid: string;
  accession?: string;
  status?: string;
  started?: string;
  description?: string;
  modality?: string[];
  bodySite?: Coding[];
  numberOfSeries?: number;
  numberOfInstances?: number;
  series?: SeriesSummary[];
}
export interface Observation {
  code: Coding & { text?: string };
  category?: string[];
  latest: { effective?: string; value?: number | string; unit?: string; interpretation?: string };
  trend?: { effective?: string; value: number; unit?: string }[];
  referenceRange?: { low?: number; high?: number; unit?: string; text?: string };
}
export interface Report {
  id: string;
  status?: string;
  code?: Concept;
  effective?: string;
  issued?: string;
  conclusion?: string;
  imagingStudy?: { id?: string; studyInstanceUid?: string }[];
  ai?: boolean;
  findings?: {
    id: string;
    code?: Concept;
    bodySite?: Concept;
    value?: number | string;
    unit?: string;
    confidence?: number;
  }[];
}
export interface Source {
  section: string;
  server: string;
  request: string;
  status: 'ok' | 'truncated' | 'error' | 'timeout' | 'denied';
  durationMs?: number;
  count?: number;
  error?: string;
}
export interface PatientContext {
  patient: {
    id: string;
    identifier?: { system?: string; value?: string }[];
    name?: string;
    gender?: string;
    birthDate?: string;
  };
  imagingStudies?: StudySummary[] | null;
  conditions?:
    | {
        id: string;
        code?: Concept;
        clinicalStatus?: string;
        verificationStatus?: string;
        onset?: string;
        recorded?: string;
      }[]
    | null;
  medications?:
    | {
        id: string;
        resourceType: string;
        status?: string;
        state?: string;
        ingredient?: Coding & { source?: string };
        medication?: Concept;
        dosage?: string;
        date?: string;
      }[]
    | null;
  observations?: Observation[] | null;
  allergies?:
    | { id: string; code?: Concept; clinicalStatus?: string; criticality?: string; reactions?: string[] }[]
    | null;
  encounters?:
    | {
        id: string;
        status?: string;
        class?: Coding;
        current?: boolean;
        period?: { start?: string; end?: string };
        location?: { display?: string };
        reason?: string[];
      }[]
    | null;
  flags?: { id: string; status?: string; code?: Concept; period?: { start?: string } }[] | null;
  reports?: Report[] | null;
  complete: boolean;
  sources: Source[];
}

export const patientContext = (id: string) =>
  getJson<PatientContext>(`/api/context?patient=${encodeURIComponent(id)}&studyLimit=50`);

export const conceptText = (c?: Concept & Coding): string =>
  c?.text ?? c?.display ?? c?.coding?.[0]?.display ?? c?.code ?? c?.coding?.[0]?.code ?? '';

export function formatDate(iso?: string): string {
  if (!iso) return '';
  return iso.length <= 10 ? iso : iso.slice(0, 16).replace('T', ' ');
}

export function ageOf(birthDate?: string, now = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const b = new Date(birthDate);
  let age = now.getFullYear() - b.getFullYear();
  if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) age--;
  return age;
}

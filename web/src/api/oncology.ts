import type { Concept, Source } from './context';
import { getJson } from './http';

/** GET /api/oncology/summary (docs/oncology.md, docs/oncology-summary.schema.json): the parts the console shows. */
export type Category = 'CR' | 'PR' | 'SD' | 'PD' | 'NE' | 'baseline';

export interface LesionAtTimepoint {
  trackingId?: string;
  trackingUid?: string;
  bodyStructure?: string;
  site?: { code?: string; system?: string; text?: string };
  nodal: boolean;
  role: 'target' | 'non-target' | 'new';
  axis: 'long' | 'short';
  valueMm: number | null;
  status: 'measured' | 'disappeared' | 'not-measured';
}

export interface Timepoint {
  index: number;
  date: string;
  studies: { studyInstanceUid?: string; imagingStudy: string; description?: string; modality?: string }[];
  lesions: LesionAtTimepoint[];
  sumMm: number | null;
  changeFromBaselinePct: number | null;
  changeFromNadirPct: number | null;
  nadirMm: number | null;
  targetResponse: Category;
  nonTargetResponse: string;
  newLesions: boolean;
  overallResponse: Category;
  reasons: string[];
}

export interface Trend {
  code: { system: string; code: string; display: string };
  trend: { effective: string; value: number; unit?: string }[];
}

export interface OncologySummary {
  patient: { id: string; name?: string; birthDate?: string; gender?: string; identifier?: { value?: string }[] };
  question: string | null;
  diagnosis: {
    condition: string;
    code: Concept;
    onset?: string;
    stage?: string;
    histology?: string;
    bodySite?: string;
  }[];
  treatment: {
    line: number | null;
    medication?: string;
    procedure?: string;
    reference: string;
    start?: string;
    end?: string;
    status?: string;
    reasonStopped?: string;
  }[];
  timepoints: Timepoint[];
  targetSelection: { by: 'rules' | 'clinician'; targets: string[]; recordedBy?: string; recordedAt?: string } | null;
  markers: Trend[];
  labs: Trend[];
  performanceStatus: { scale: string; value: number; effective: string }[];
  clinicianStatus: {
    effective: string;
    value: string;
    computed: Category | null;
    agreesWithComputed: boolean | null;
  }[];
  warnings: string[];
  complete: boolean;
  sources: Source[];
}

export const oncologySummary = (id: string) =>
  getJson<OncologySummary>(`/api/oncology/summary?patient=${encodeURIComponent(id)}`);

export const lesionLabel = (l: LesionAtTimepoint) => l.trackingId ?? l.trackingUid ?? l.bodyStructure ?? '?';

/** GET /api/worklist (docs/worklist.md). */
export interface WorklistItem {
  studyInstanceUid: string;
  accession?: string;
  /** `recordId`: the external EHR's Patient id (the patient view's), when the record is external. */
  patient: { id?: string; name?: string; identifier?: string; recordId?: string };
  modality: string[];
  description?: string;
  bodySite: string[];
  started?: string;
  received?: string;
  rank: number;
  score: number;
  tier: string;
  terms: { term: string; points: number; reason: string; evidence: string[] }[];
  status: 'unread' | 'read';
}

export interface WorklistAnswer {
  items: WorklistItem[];
  total: number;
  generatedAt: string;
}

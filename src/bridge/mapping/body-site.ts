/**
 * series.bodySite from BodyPartExamined through the Annex L table (data/annex-l-body-parts.json),
 * else from AnatomicRegionSequence (a legacy SNOMED code is replaced by the current one). An
 * unknown term keeps the original text as display with no invented code.
 */
import type { DicomJson } from '../../dicom/types.js';
import annexL from './data/annex-l-body-parts.json' with { type: 'json' };
import { codeOf, items, str, TAG } from './dicom-read.js';
import type { Coding } from './fhir-types.js';
import { SNOMED_SYSTEM } from './systems.js';
import { own } from '../../core/own.js';

interface AnnexLEntry {
  code: string;
  display: string;
  legacyCodes?: string[];
}

const TERMS: Record<string, AnnexLEntry> = annexL.terms;
const BY_CODE = new Map<string, AnnexLEntry>();
for (const entry of Object.values(TERMS)) {
  BY_CODE.set(entry.code, entry);
  for (const legacy of entry.legacyCodes ?? []) BY_CODE.set(legacy, entry);
}

export interface BodySiteResult {
  bodySite?: Coding;
  /** The text that had no Annex L code, for a data-quality finding. */
  unknownText?: string;
}

const snomed = (e: AnnexLEntry): Coding => ({ system: SNOMED_SYSTEM, code: e.code, display: e.display });

export function bodySiteOf(json: DicomJson): BodySiteResult {
  const term = str(json, TAG.BodyPartExamined);
  if (term) {
    const entry = own(TERMS, term.toUpperCase());
    return entry ? { bodySite: snomed(entry) } : { bodySite: { display: term }, unknownText: term };
  }
  const region = items(json, TAG.AnatomicRegionSequence)[0];
  if (!region) return {};
  const { value, scheme, meaning } = codeOf(region);
  const entry = value && (scheme === 'SCT' || scheme === 'SRT' || scheme === 'SNM3') ? BY_CODE.get(value) : undefined;
  if (entry) return { bodySite: snomed(entry) };
  if (value && scheme === 'SCT')
    return {
      bodySite: meaning
        ? { system: SNOMED_SYSTEM, code: value, display: meaning }
        : { system: SNOMED_SYSTEM, code: value },
    };
  return meaning ? { bodySite: { display: meaning }, unknownText: meaning } : {};
}

/**
 * DICOM code sequence items (CodeValue / CodingSchemeDesignator / CodeMeaning) → FHIR
 * CodeableConcept. Designators map to FHIR system URIs; an unknown designator gives no
 * invented system: the concept keeps its meaning as text and the caller records it.
 */
import type { DicomJson } from '../../dicom/types.js';
import type { CodeableConcept } from './fhir-types.js';
import { codeOf, items } from './dicom-read.js';
import { DCM_SYSTEM, LOINC_SYSTEM, RADLEX_SYSTEM, SNOMED_SYSTEM } from './systems.js';
import { own } from '../../core/own.js';

const DESIGNATOR_SYSTEMS: Record<string, string> = {
  SCT: SNOMED_SYSTEM,
  LN: LOINC_SYSTEM,
  RADLEX: RADLEX_SYSTEM,
  RPID: RADLEX_SYSTEM,
  DCM: DCM_SYSTEM,
};

/** FHIR system for a designator; extra (configured) designators take precedence. */
export function systemOfDesignator(designator: string, extra: Record<string, string> = {}): string | undefined {
  return own(extra, designator) ?? own(DESIGNATOR_SYSTEMS, designator.toUpperCase());
}

export interface MappedConcept {
  concept: CodeableConcept;
  /** Set when the designator had no known system, so the code could not be kept. */
  unmappedDesignator?: string;
}

export function conceptOfItem(item: DicomJson, extra?: Record<string, string>): MappedConcept | undefined {
  const { value, scheme, meaning } = codeOf(item);
  if (!value && !meaning) return undefined;
  const system = scheme ? systemOfDesignator(scheme, extra) : undefined;
  if (value && system) {
    const coding = meaning ? { system, code: value, display: meaning } : { system, code: value };
    return { concept: meaning ? { coding: [coding], text: meaning } : { coding: [coding] } };
  }
  const concept: CodeableConcept = { text: meaning ?? value! };
  return value ? { concept, unmappedDesignator: scheme ?? '' } : { concept };
}

/** Every item of a code sequence, in order. */
export function conceptsOfSequence(json: DicomJson, tag: string, extra?: Record<string, string>): MappedConcept[] {
  return items(json, tag)
    .map((item) => conceptOfItem(item, extra))
    .filter((c): c is MappedConcept => c !== undefined);
}

/**
 * The condition and procedure code lists (versioned data files in codes/): SNOMED CT codes match
 * exactly (the files are pre-expanded: a row includes its descendants), ICD-10 codes by prefix.
 */
import type { CodeableConcept } from '@medplum/fhirtypes';
import aorticDissection from './codes/aortic-dissection.json' with { type: 'json' };
import cvaUnspecified from './codes/cva-unspecified.json' with { type: 'json' };
import endocarditis from './codes/endocarditis.json' with { type: 'json' };
import giBleed from './codes/gi-bleed.json' with { type: 'json' };
import giMalignancy from './codes/gi-malignancy.json' with { type: 'json' };
import headTrauma from './codes/head-trauma.json' with { type: 'json' };
import intracranialHemorrhage from './codes/intracranial-hemorrhage.json' with { type: 'json' };
import intracranialNeoplasm from './codes/intracranial-neoplasm.json' with { type: 'json' };
import intracranialSurgery from './codes/intracranial-surgery.json' with { type: 'json' };
import ischemicStroke from './codes/ischemic-stroke.json' with { type: 'json' };
import pregnancy from './codes/pregnancy.json' with { type: 'json' };
import { hasCode, icd10Codes, SNOMED } from './read.js';

interface CodeFile {
  snomed: { code: string }[];
  icd10Prefixes: string[];
}

export interface CodeSet {
  name: string;
  matches(c: CodeableConcept | undefined): boolean;
}

function codeSet(name: string, file: CodeFile): CodeSet {
  const snomed = new Set(file.snomed.map((s) => s.code));
  const prefixes = file.icd10Prefixes.map((p) => p.toUpperCase().replace('.', ''));
  return {
    name,
    matches: (c) =>
      hasCode(c, SNOMED, snomed) || icd10Codes(c).some((code) => prefixes.some((p) => code.startsWith(p))),
  };
}

export const CODE_SETS = {
  intracranialHemorrhage: codeSet('intracranial hemorrhage', intracranialHemorrhage),
  ischemicStroke: codeSet('ischemic stroke', ischemicStroke),
  cvaUnspecified: codeSet('cerebrovascular accident of unspecified type', cvaUnspecified),
  giBleed: codeSet('gastrointestinal bleed', giBleed),
  giMalignancy: codeSet('gastrointestinal malignancy', giMalignancy),
  aorticDissection: codeSet('aortic dissection', aorticDissection),
  endocarditis: codeSet('infective endocarditis', endocarditis),
  intraAxialNeoplasm: codeSet('intra-axial intracranial neoplasm', intracranialNeoplasm),
  extraAxialNeoplasm: codeSet('extra-axial intracranial neoplasm', intracranialNeoplasm.extraAxial),
  headTrauma: codeSet('severe head trauma', headTrauma),
  intracranialSurgery: codeSet('intracranial surgery', intracranialSurgery),
  pregnancy: codeSet('pregnancy', pregnancy),
};

/**
 * The codes the demo records use. Clinical codes are those of shared/spec/clinical-rules.md
 * (SNOMED CT, LOINC, RxNorm) so the rules find what they look for; codes not in that file are
 * marked ◐ where they were not checked against the terminology in this environment.
 */
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const UCUM = 'http://unitsofmeasure.org';
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';

export interface Code {
  system: string;
  code: string;
  display: string;
}

const sct = (code: string, display: string): Code => ({ system: SNOMED, code, display });
const loinc = (code: string, display: string): Code => ({ system: LOINC, code, display });
const rx = (code: string, display: string): Code => ({ system: RXNORM, code, display });
const icd = (code: string, display: string): Code => ({ system: ICD10CM, code, display });

/** A lab or vital sign: its LOINC code and the UCUM unit the demo reports it in. */
export interface Measure {
  code: Code;
  unit: string;
  category: 'laboratory' | 'vital-signs' | 'survey' | 'exam';
}

const lab = (code: string, display: string, unit: string): Measure => ({
  code: loinc(code, display),
  unit,
  category: 'laboratory',
});

export const LABS = {
  platelets: lab('777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL'),
  inr: lab('6301-6', 'INR in Platelet poor plasma by Coagulation assay', '{INR}'),
  aptt: lab('3173-2', 'aPTT in Blood by Coagulation assay', 's'),
  pt: lab('5902-2', 'Prothrombin time (PT)', 's'),
  glucose: lab('2339-0', 'Glucose [Mass/volume] in Blood', 'mg/dL'),
  creatinine: lab('2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL'), // ◐
  hemoglobin: lab('718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL'), // ◐
  cea: lab('2039-6', 'Carcinoembryonic Ag [Mass/volume] in Serum or Plasma', 'ng/mL'),
  ca199: lab('24108-3', 'Cancer Ag 19-9 [Units/volume] in Serum or Plasma', 'U/mL'),
  ca125: lab('10334-1', 'Cancer Ag 125 [Units/volume] in Serum or Plasma', 'U/mL'),
  psa: lab('2857-1', 'Prostate specific Ag [Mass/volume] in Serum or Plasma', 'ng/mL'),
  ca153: lab('6875-9', 'Cancer Ag 15-3 [Units/volume] in Serum or Plasma', 'U/mL'),
} as const;

export const VITALS = {
  bpPanel: loinc('85354-9', 'Blood pressure panel with all children optional'),
  systolic: loinc('8480-6', 'Systolic blood pressure'),
  diastolic: loinc('8462-4', 'Diastolic blood pressure'),
  nihss: loinc('72089-6', 'NIHSS total score'),
  ecog: loinc('89247-1', 'ECOG Performance Status score'),
  diseaseStatus: loinc('97509-4', 'Cancer disease status'),
};

export const DISEASE_STATUS = {
  improved: sct('268910001', 'Patient condition improved'),
  stable: sct('359746009', 'Patient condition stable'),
  worsened: sct('271299001', 'Patient condition worse'),
  undetermined: sct('709137006', 'Patient condition undetermined'),
};

export const CONDITIONS = {
  cerebralHemorrhage: [
    sct('274100004', 'Cerebral hemorrhage'),
    icd('I61.9', 'Nontraumatic intracerebral hemorrhage, unspecified'),
  ],
  ischemicStroke: [sct('422504002', 'Ischemic stroke'), icd('I63.9', 'Cerebral infarction, unspecified')],
  cvaUnspecified: [
    sct('230690007', 'Cerebrovascular accident'),
    icd('I64', 'Stroke, not specified as haemorrhage or infarction'),
  ],
  giBleed: [sct('74474003', 'Gastrointestinal hemorrhage'), icd('K92.2', 'Gastrointestinal hemorrhage, unspecified')],
  brainTumour: [sct('126952004', 'Neoplasm of brain'), icd('C71.9', 'Malignant neoplasm of brain, unspecified')],
  atrialFibrillation: [sct('49436004', 'Atrial fibrillation'), icd('I48.91', 'Unspecified atrial fibrillation')], // ◐
};

export type CancerSite = 'lung' | 'colon' | 'breast' | 'prostate' | 'ovary' | 'pancreas';

/** Primary cancers: SNOMED descendants of 363346000 (◐ each) with their ICD-10-CM C-code. */
export const CANCERS: Record<CancerSite, Code[]> = {
  lung: [
    sct('254637007', 'Non-small cell lung cancer'),
    icd('C34.90', 'Malignant neoplasm of unspecified part of unspecified bronchus or lung'),
  ],
  colon: [sct('363406005', 'Malignant tumor of colon'), icd('C18.9', 'Malignant neoplasm of colon, unspecified')],
  breast: [
    sct('254837009', 'Malignant neoplasm of breast'),
    icd('C50.919', 'Malignant neoplasm of unspecified site of unspecified female breast'),
  ],
  prostate: [sct('399068003', 'Malignant tumor of prostate'), icd('C61', 'Malignant neoplasm of prostate')],
  ovary: [sct('363443007', 'Malignant tumor of ovary'), icd('C56.9', 'Malignant neoplasm of unspecified ovary')],
  pancreas: [
    sct('363418001', 'Malignant tumor of pancreas'),
    icd('C25.9', 'Malignant neoplasm of pancreas, unspecified'),
  ],
};

export const PROCEDURES = {
  chemotherapy: sct('367336001', 'Chemotherapy'), // ◐
  craniotomy: sct('25353009', 'Craniotomy'), // ◐ (as in clinical-rules.md)
  imaging: sct('363679005', 'Imaging'), // ServiceRequest.category
};

/** Anticoagulant clinical-drug (product) codes, as EHRs send them (clinical-rules.md). */
export const ANTICOAGULANTS = {
  apixaban: rx('1364445', 'apixaban 5 MG Oral Tablet'),
  warfarin: rx('855332', 'warfarin sodium 5 MG Oral Tablet'),
  rivaroxaban: rx('1114198', 'rivaroxaban 10 MG Oral Tablet'),
  dabigatran: rx('1037045', 'dabigatran etexilate 150 MG Oral Capsule'),
  enoxaparin: rx('854235', 'enoxaparin sodium 100 MG/ML Injectable Solution 0.4 ML'),
};

/** Chemotherapy at ingredient level (◐ RxNorm ingredient codes, not checked in this environment). */
export const CHEMO = {
  carboplatin: rx('40048', 'carboplatin'),
  pemetrexed: rx('68446', 'pemetrexed'),
  pembrolizumab: rx('1547545', 'pembrolizumab'),
  docetaxel: rx('72962', 'docetaxel'),
  oxaliplatin: rx('32592', 'oxaliplatin'),
  fluorouracil: rx('4492', 'fluorouracil'),
  leucovorin: rx('6313', 'leucovorin'),
  doxorubicin: rx('3639', 'doxorubicin'),
  cyclophosphamide: rx('3002', 'cyclophosphamide'),
  paclitaxel: rx('56946', 'paclitaxel'),
  gemcitabine: rx('12574', 'gemcitabine'),
};

export const ENCOUNTER_CLASS = {
  emergency: { system: ACT_CODE, code: 'EMER', display: 'emergency' },
  inpatient: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
  ambulatory: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  observation: { system: ACT_CODE, code: 'OBSENC', display: 'observation encounter' },
};

export const LOCATION_TYPE = {
  er: { system: ROLE_CODE, code: 'ER', display: 'Emergency room' },
  icu: { system: ROLE_CODE, code: 'ICU', display: 'Intensive care unit' },
  ward: { system: ROLE_CODE, code: 'HU', display: 'Hospital unit' },
  oncology: { system: ROLE_CODE, code: 'ONCL', display: 'Oncology clinic' }, // ◐
  radiology: { system: ROLE_CODE, code: 'RADDX', display: 'Radiology diagnostics or therapeutics unit' }, // ◐
};

/**
 * Patient matching: the issuer-qualified identifier of the DICOM header (system from the
 * issuer map or the source's default, never empty) against the FHIR server. One match → link
 * (a demographic mismatch is a finding, never a silent overwrite; a Patient the bridge created
 * is brought up to date); none → create (policy `create`) or hold (`require-existing`);
 * several → hold, never pick one.
 */
import type { FhirClient } from '../../fhir/client/index.js';
import { openResource, type FhirResource } from '../../fhir/types.js';
import type { MappedPatient } from '../mapping/index.js';
import { TAG } from '../mapping/dicom-read.js';
import type { Finding, Severity } from '../normalize/index.js';
import { createdByBridge, withBridgeTag } from './bridge-tag.js';
import { demographicMismatches } from './demographics.js';

export type PatientPolicy = 'create' | 'require-existing';

export type PatientMatch =
  /** An existing Patient; `update` is set when the bridge owns it and the header changed it. */
  | { kind: 'linked'; patient: FhirResource; update?: FhirResource; findings: Finding[] }
  /** No match: this Patient (tagged) is to be created, conditionally on its `identifier` (system|value). */
  | { kind: 'create'; patient: FhirResource; identifier: string; findings: Finding[] }
  /** The study must wait in quarantine: the reasons are error findings. */
  | { kind: 'hold'; findings: Finding[] };

export interface MatchOptions {
  policy: PatientPolicy;
  mismatchSeverity: Severity;
}

const OWNED = ['name', 'gender', 'birthDate'] as const;

/** `system|value` of the header's identifier: the search and the conditional-create key. */
export function identifierToken(header: MappedPatient): string {
  const id = header.identifier[0]!;
  return `${id.system}|${id.value}`;
}

export async function matchPatient(
  client: FhirClient,
  header: MappedPatient,
  opts: MatchOptions,
): Promise<PatientMatch> {
  const token = identifierToken(header);
  const found = await client.searchAll(
    'Patient',
    // _total=none: the matches are counted from the page; no count query per study.
    { identifier: token, _count: 10, _total: 'none' },
    { maxResources: 10, maxPages: 1 },
  );
  if (found.length > 1) {
    return {
      kind: 'hold',
      findings: [
        finding(
          'patient-match',
          'error',
          `${found.length} Patients carry this patient identifier; the study is held rather than linked to one of them`,
        ),
      ],
    };
  }
  if (found.length === 0) {
    if (opts.policy === 'require-existing') {
      return {
        kind: 'hold',
        findings: [
          finding(
            'patient-match',
            'error',
            'no Patient with this identifier exists yet (policy require-existing): held until the EHR knows the patient',
          ),
        ],
      };
    }
    return {
      kind: 'create',
      patient: openResource(withBridgeTag(header)),
      identifier: token,
      findings: [],
    };
  }
  const patient = found[0]!;
  const mismatches = demographicMismatches(patient, header);
  const findings = mismatches.map((field) =>
    finding(
      'patient-demographics',
      opts.mismatchSeverity,
      field === 'name' ? TAG.PatientName : field === 'gender' ? TAG.PatientSex : TAG.PatientBirthDate,
      `the ${field} of the matched Patient differs from the DICOM header${createdByBridge(patient) ? ' (the bridge created this Patient and updates it)' : ' (not changed: the Patient was not created by the bridge)'}`,
    ),
  );
  if (!createdByBridge(patient)) return { kind: 'linked', patient, findings };
  const update: FhirResource = { ...patient };
  for (const key of OWNED) {
    if (header[key] === undefined) delete update[key];
    else update[key] = header[key];
  }
  const changed = OWNED.some((k) => JSON.stringify(update[k]) !== JSON.stringify(patient[k]));
  return changed ? { kind: 'linked', patient, update, findings } : { kind: 'linked', patient, findings };
}

/** No original values: findings about a patient must not copy names or dates around. */
function finding(rule: string, severity: Severity, message: string): Finding;
function finding(rule: string, severity: Severity, tag: string, message: string): Finding;
function finding(rule: string, severity: Severity, a: string, b?: string): Finding {
  return b === undefined
    ? { rule, severity, tag: TAG.PatientID, original: null, message: a }
    : { rule, severity, tag: a, original: null, message: b };
}

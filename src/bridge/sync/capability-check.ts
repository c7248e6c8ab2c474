/**
 * What the target FHIR server can do for the bridge, read from its CapabilityStatement:
 * FHIR 4.0.x, ImagingStudy read/create/update (Patient and Endpoint too), transactions.
 * Missing writes make the sync fail (studies wait in the outbox); a missing transaction only
 * means writes go one by one.
 */
import type { FhirResource } from '../../fhir/types.js';

export interface CapabilityReport {
  checkedAt: string;
  target: string;
  baseUrl: string;
  reachable: boolean;
  fhirVersion?: string;
  /** The bridge can write (R4, the needed interactions). */
  usable: boolean;
  transaction: boolean;
  problems: string[];
}

interface RestResource {
  type?: string;
  interaction?: { code?: string }[];
}

const NEEDED: Record<string, string[]> = {
  ImagingStudy: ['read', 'create', 'update', 'search-type'],
  Patient: ['read', 'create', 'search-type'],
  Endpoint: ['create', 'search-type'],
};

export function assessCapabilities(
  cs: FhirResource,
  base: Pick<CapabilityReport, 'checkedAt' | 'target' | 'baseUrl'>,
): CapabilityReport {
  const problems: string[] = [];
  const fhirVersion = typeof cs.fhirVersion === 'string' ? cs.fhirVersion : undefined;
  if (!fhirVersion?.startsWith('4.0.'))
    problems.push(`fhirVersion is ${fhirVersion ?? 'not stated'}; the bridge writes R4 (4.0.x)`);
  const rest = (Array.isArray(cs.rest) ? cs.rest : []).find((r: { mode?: string }) => r.mode === 'server') as
    | { resource?: RestResource[]; interaction?: { code?: string }[] }
    | undefined;
  if (!rest) problems.push('the CapabilityStatement has no rest entry in server mode');
  for (const [type, codes] of Object.entries(NEEDED)) {
    const res = rest?.resource?.find((r) => r.type === type);
    const has = new Set((res?.interaction ?? []).map((i) => i.code));
    const missing = codes.filter((c) => !has.has(c));
    if (!res) problems.push(`${type} is not supported`);
    else if (missing.length) problems.push(`${type} lacks ${missing.join(', ')}`);
  }
  const transaction = !!rest?.interaction?.some((i) => i.code === 'transaction');
  const usable = problems.length === 0;
  if (!transaction) problems.push('no transaction support: Patient and ImagingStudy are written one request at a time');
  return { ...base, reachable: true, ...(fhirVersion ? { fhirVersion } : {}), usable, transaction, problems };
}

export function unreachableReport(
  base: Pick<CapabilityReport, 'checkedAt' | 'target' | 'baseUrl'>,
  error: string,
): CapabilityReport {
  return {
    ...base,
    reachable: false,
    usable: false,
    transaction: false,
    problems: [`the CapabilityStatement could not be read: ${error}`],
  };
}

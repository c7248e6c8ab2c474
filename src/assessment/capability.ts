/**
 * Reading a CapabilityStatement (or a DSTU2 Conformance): the release, and for the resource
 * types the bridge and the context API use, the interactions and search parameters declared. Pure.
 */
import { isRecord } from './http-probe.js';
import type { FhirRelease, Interaction, ResourceSupport } from './types.js';

/** What the bridge (ImagingStudy, Patient, Endpoint) and the context API (the rest) search by. */
export const NEEDED_SEARCH: ReadonlyMap<string, readonly string[]> = new Map([
  ['ImagingStudy', ['identifier', 'patient', 'started', 'modality']],
  ['Patient', ['identifier']],
  ['Endpoint', ['identifier']],
  ['DiagnosticReport', ['patient', 'date', 'code']],
  ['Observation', ['patient', 'date', 'code']],
]);

/** fhirVersion → release (PS: versions of FHIR, https://hl7.org/fhir/directory.html). */
export function releaseOf(fhirVersion: string | undefined): FhirRelease {
  if (!fhirVersion) return 'unknown';
  const [major, minor] = fhirVersion.split('.').map((n) => Number.parseInt(n, 10));
  if (major === 1 && minor === 0) return 'DSTU2';
  if (major === 3) return 'STU3';
  if (major === 4 && minor === 0) return 'R4';
  if (major === 4 && (minor === 1 || minor === 3)) return 'R4B';
  if (major === 5 || (major === 4 && (minor === 2 || (minor ?? 0) >= 4))) return 'R5';
  if (major === 6) return 'R6 ballot';
  return 'unknown';
}

export interface ParsedCapability {
  fhirVersion?: string;
  release: FhirRelease;
  software?: string;
  json: boolean;
  resources: Record<string, ResourceSupport | null>;
  transaction: boolean;
  batch: boolean;
  conditionalUpdate: boolean;
  /** The SMART security extension (oauth-uris): token and authorize endpoints. */
  oauth?: { token?: string; authorize?: string };
}

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const codes = (list: unknown, key: string): string[] =>
  Array.isArray(list) ? list.filter(isRecord).map((e) => String(e[key] ?? '')) : [];

function resourceSupport(type: string, r: Record<string, unknown> | undefined): ResourceSupport | null {
  if (!r) return null;
  const declared = codes(r.interaction, 'code');
  const interactions: Interaction[] = (['read', 'search-type', 'create', 'update'] as const).filter((i) =>
    declared.includes(i),
  );
  if (declared.includes('update') && (r.conditionalUpdate === true || r.conditionalUpdate === 'true'))
    interactions.push('conditional-update');
  const params = new Set(codes(r.searchParam, 'name'));
  const needed = NEEDED_SEARCH.get(type) ?? [];
  // R5/STU3 name the ImagingStudy patient parameter `patient`; some declare `subject` instead.
  const has = (p: string) => params.has(p) || (p === 'patient' && params.has('subject'));
  return {
    interactions,
    searchParams: needed.filter(has),
    missingSearchParams: needed.filter((p) => !has(p)),
  };
}

export function parseCapability(cs: Record<string, unknown>): ParsedCapability {
  const fhirVersion = typeof cs.fhirVersion === 'string' ? cs.fhirVersion : undefined;
  const software = isRecord(cs.software)
    ? [cs.software.name, cs.software.version].filter((s) => typeof s === 'string' && s).join(' ')
    : undefined;
  const formats = Array.isArray(cs.format) ? cs.format.map(String) : [];
  const rest = (Array.isArray(cs.rest) ? cs.rest.filter(isRecord) : []).find((r) => r.mode === 'server');
  const byType = new Map<string, Record<string, unknown>>();
  for (const r of Array.isArray(rest?.resource) ? rest.resource.filter(isRecord) : [])
    if (typeof r.type === 'string') byType.set(r.type, r);
  const resources: Record<string, ResourceSupport | null> = {};
  for (const type of NEEDED_SEARCH.keys()) resources[type] = resourceSupport(type, byType.get(type));
  const system = codes(rest?.interaction, 'code');
  const security = isRecord(rest?.security) ? rest.security : undefined;
  const ext = (Array.isArray(security?.extension) ? security.extension.filter(isRecord) : []).find(
    (e) => e.url === OAUTH_URIS,
  );
  const uris = new Map(
    (Array.isArray(ext?.extension) ? ext.extension.filter(isRecord) : []).map((e) => [String(e.url), e.valueUri]),
  );
  const image = byType.get('ImagingStudy');
  return {
    ...(fhirVersion ? { fhirVersion } : {}),
    release: releaseOf(fhirVersion),
    ...(software ? { software } : {}),
    json: formats.length === 0 || formats.some((f) => f === 'json' || f.includes('json')),
    resources,
    transaction: system.includes('transaction'),
    batch: system.includes('batch'),
    conditionalUpdate: image?.conditionalUpdate === true,
    ...(ext
      ? {
          oauth: {
            ...(typeof uris.get('token') === 'string' ? { token: uris.get('token') as string } : {}),
            ...(typeof uris.get('authorize') === 'string' ? { authorize: uris.get('authorize') as string } : {}),
          },
        }
      : {}),
  };
}

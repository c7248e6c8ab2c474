/**
 * What a Principal may do, from its SMART scopes and roles: per resource type and interaction
 * (typeAccess), per resource (resourceAllowed), as the AccessPolicy of the context API, AI
 * results and notifications (policyFor), and for DICOMweb (dicomwebAccess).
 *
 * Rules beyond the scope syntax (src/auth/scopes.ts):
 * - `patient/` scopes restrict to the token's patient's compartment (R4 Patient
 *   CompartmentDefinition). On types outside the compartment they grant only read and search,
 *   and only of shared reference data (SHARED_TYPES); anything else outside it is refused.
 * - AuditEvent needs the administrator role besides a scope, and is never written through the API.
 */
import { allowAll, type AccessPolicy } from './access-policy.js';
import { SearchParamRegistry } from '../definitions/search-params.js';
import { compartmentPatients, inPatientCompartment, patientOfRecord } from '../search/compartment.js';
import { matchesParams } from '../search/match-resource.js';
import type { FhirResource } from '../types.js';
import type { Principal } from '../../auth/principal.js';
import { limitUserScopes } from '../../auth/role-scopes.js';
import {
  neededScope,
  parseScopes,
  permits,
  type Interaction,
  type ParsedScope,
  type QuerySuffix,
} from '../../auth/scopes.js';

/** Types outside the Patient compartment that `patient/` scopes may read and search: shared reference data. */
export const SHARED_TYPES: ReadonlySet<string> = new Set([
  'Device',
  'Endpoint',
  'HealthcareService',
  'Location',
  'Medication',
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Substance',
]);

/** Readable only with the administrator role; never written through the API. */
export const ADMIN_ONLY_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

/** One alternative of a grant, resolved for a type: that patient's compartment and/or the suffix. */
export interface ResolvedGrant {
  readonly patient?: string;
  readonly suffix?: QuerySuffix;
}

export interface TypeAccess {
  allowed: boolean;
  /** Why not: the text of the 403. */
  reason?: string;
  /** Allowed with no compartment and no suffix. */
  unrestricted: boolean;
  /** Alternatives (OR); `[{}]` when unrestricted, `[]` when not allowed. */
  grants: readonly ResolvedGrant[];
}

const scopeCache = new WeakMap<Principal, ParsedScope[]>();

function scopesOf(principal: Principal): ParsedScope[] {
  let scopes = scopeCache.get(principal);
  // user/ scopes grant no more than the principal's role allows (src/auth/role-scopes.ts).
  if (!scopes) scopeCache.set(principal, (scopes = limitUserScopes(parseScopes(principal.scope), principal.roles)));
  return scopes;
}

const denied = (reason: string): TypeAccess => ({ allowed: false, reason, unrestricted: false, grants: [] });
const UNRESTRICTED: TypeAccess = Object.freeze({ allowed: true, unrestricted: true, grants: [{}] });

export function isAdministrator(principal: Principal): boolean {
  return principal.roles.includes('administrator');
}

/**
 * What the principal may do with `interaction` on `resourceType` (`*`: on every type at once,
 * which only wildcard scopes without compartment or suffix allow).
 */
export function typeAccess(principal: Principal, resourceType: string, interaction: Interaction): TypeAccess {
  const request = { resourceType, interaction };
  if (ADMIN_ONLY_TYPES.has(resourceType) || resourceType === '*') {
    if (!isAdministrator(principal))
      return denied(`${resourceType === '*' ? 'this' : resourceType} needs the administrator role`);
    if (ADMIN_ONLY_TYPES.has(resourceType) && interaction !== 'r' && interaction !== 's')
      return denied(`${resourceType} is read-only`);
  }
  const permission = permits(scopesOf(principal), request, { patient: principal.patient });
  if (!permission.allowed) return denied(`this needs ${neededScope(request)}`);
  if (permission.unrestricted) return UNRESTRICTED;
  const grants: ResolvedGrant[] = [];
  for (const g of permission.grants) {
    if (!g.compartment) grants.push({ suffix: g.suffix });
    else if (resourceType !== '*' && inPatientCompartment(resourceType))
      grants.push({ patient: principal.patient, ...(g.suffix ? { suffix: g.suffix } : {}) });
    else if (SHARED_TYPES.has(resourceType) && (interaction === 'r' || interaction === 's'))
      grants.push(g.suffix ? { suffix: g.suffix } : {});
  }
  if (grants.length === 0)
    return denied(
      `patient/ scopes do not grant ${resourceType}.${interaction}: it is outside the patient compartment; this needs a user/ or system/ scope`,
    );
  if (grants.some((g) => !g.patient && !g.suffix)) return UNRESTRICTED;
  return { allowed: true, unrestricted: false, grants };
}

/**
 * Is `resource` within one of the grants (its patient's compartment, its suffix), judged in
 * memory? `undefined` when only the search index can tell (a suffix on a date or number).
 * `write` (create, update, patch, delete): a compartment-bound grant needs the token's patient
 * to be the resource's patient of record, and no other patient in its compartment; reading
 * needs only the token's patient in the compartment.
 */
export function resourceAllowed(
  access: TypeAccess,
  resource: FhirResource,
  registry: SearchParamRegistry,
  baseUrl: string,
  use: 'read' | 'write' = 'read',
): boolean | undefined {
  if (access.unrestricted) return true;
  let undecided = false;
  let patients: string[] | undefined;
  for (const g of access.grants) {
    if (g.patient !== undefined) {
      patients ??=
        use === 'write'
          ? [patientOfRecord(registry, resource, baseUrl) ?? ''].filter(Boolean)
          : compartmentPatients(registry, resource, baseUrl);
      if (!patients.includes(g.patient)) continue;
    }
    if (!g.suffix) return true;
    const m = matchesParams(registry, resource, g.suffix.params, baseUrl);
    if (m === true) return true;
    if (m === undefined) undecided = true;
  }
  return undecided ? undefined : false;
}

let defaultRegistry: SearchParamRegistry | undefined;

export interface PolicyOptions {
  /** The server's registry (one is built on first use otherwise). */
  registry?: SearchParamRegistry;
  /** The FHIR base, to read absolute references to our own server. */
  baseUrl?: string;
}

/** The AccessPolicy of the context API, AI results and notifications for this principal. */
export function policyFor(principal: Principal, options: PolicyOptions = {}): AccessPolicy {
  const registry = () => options.registry ?? (defaultRegistry ??= new SearchParamRegistry());
  const baseUrl = options.baseUrl ?? '';
  const unbound = scopesOf(principal).some((s) => s.context !== 'patient');
  return {
    description: `scopes ${principal.scope}`,
    principal,
    // What the answers depend on (the registry and base URL are the server's, the same for all).
    cacheKey: `${principal.scope}\n${[...principal.roles].sort().join(' ')}\n${principal.patient ?? ''}`,
    canRead: (type) => typeAccess(principal, type, 'r').allowed,
    canSearch: (type) => typeAccess(principal, type, 's').allowed,
    canWrite: (type) => typeAccess(principal, type, 'c').allowed,
    canSeePatient: (id) => unbound || (principal.patient !== undefined && principal.patient === id),
    // A suffix only the index can judge hides the resource (fail closed).
    canSee: (resource) =>
      resourceAllowed(typeAccess(principal, resource.resourceType, 'r'), resource, registry(), baseUrl) === true,
  };
}

/** The policy of a request's caller: its scopes when a token was verified; everything otherwise (`--auth none`). */
export function callerPolicy(principal: Principal | undefined, options: PolicyOptions): AccessPolicy {
  return principal && principal.kind !== 'anonymous' ? policyFor(principal, options) : allowAll;
}

export type DicomwebNeed = 'read' | 'create' | 'delete';

export interface DicomwebDecision {
  allowed: boolean;
  /** A patient-bound token: only this FHIR Patient's studies. */
  patient?: string;
  reason?: string;
}

const DICOMWEB_INTERACTIONS: Record<DicomwebNeed, Interaction[]> = { read: ['r', 's'], create: ['c'], delete: ['d'] };

/**
 * DICOMweb through the ImagingStudy scopes: QIDO-RS and WADO-RS need `ImagingStudy.rs`, STOW-RS
 * `ImagingStudy.c`, delete the administrator role and an unrestricted `ImagingStudy.d`. Query
 * suffixes cannot be judged on DICOM data: scopes with one do not count here.
 */
export function dicomwebAccess(principal: Principal, need: DicomwebNeed): DicomwebDecision {
  if (need === 'delete' && !isAdministrator(principal))
    return { allowed: false, reason: 'deleting studies needs the administrator role' };
  const wanted = `ImagingStudy.${DICOMWEB_INTERACTIONS[need].join('')}`;
  let patient: string | undefined;
  for (const interaction of DICOMWEB_INTERACTIONS[need]) {
    const access = typeAccess(principal, 'ImagingStudy', interaction);
    const usable = access.grants.filter((g) => !g.suffix);
    if (usable.length === 0)
      return { allowed: false, reason: `DICOMweb ${need} needs a scope granting ${wanted} without a query suffix` };
    if (usable.some((g) => g.patient === undefined)) continue;
    if (need === 'delete')
      return { allowed: false, reason: 'deleting studies needs a user/ or system/ scope granting ImagingStudy.d' };
    patient = usable[0].patient;
  }
  return patient === undefined ? { allowed: true } : { allowed: true, patient };
}

/** Does the principal hold every one of `interactions` (letters of `cruds`) on `resourceType` (possibly restricted)? */
export function permitsAll(principal: Principal, resourceType: string, interactions: string): boolean {
  return [...interactions].every((i) => typeAccess(principal, resourceType, i as Interaction).allowed);
}

/** The decisions the HTTP edge asks for (src/http/security/access-control.ts ScopeDecisions). */
export const smartDecisions = { permits: permitsAll, dicomweb: dicomwebAccess };

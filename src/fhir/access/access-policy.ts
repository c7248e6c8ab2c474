import type { FhirResource } from '../types.js';
import type { Principal } from '../../auth/principal.js';

/**
 * What the caller may see. `policyFor(principal)` (scope-access.ts) builds one per
 * request from the token's scopes; `--auth none` gives `allowAll`. Every section of the context, every
 * notification payload and every AI write-back asks it — the bridge's own credentials never
 * widen what the caller may see.
 */
export interface AccessPolicy {
  /** Shown in `sources` when a section is left out, e.g. `auth none` or `scopes patient/*.read`. */
  readonly description: string;
  /** The verified caller, when the policy comes from a token (for audit records); absent for `allowAll`. */
  readonly principal?: Principal;
  /**
   * Policies with the same key answer every question alike, so what was decided for one may be
   * reused for another (e.g. the worklist's visible rows); absent: nothing decided is shared.
   * `allowAll` has none (a policy spread from it must not inherit one): users test it by identity.
   */
  readonly cacheKey?: string;
  /** May the caller read resources of this type at all (its scopes; per resource, canSee decides)? */
  canRead(resourceType: string): boolean;
  /** May the caller search resources of this type (the `s` of its scopes)? */
  canSearch(resourceType: string): boolean;
  /** May the caller create resources of this type? */
  canWrite(resourceType: string): boolean;
  /** May the caller see this patient's compartment (a patient-bound token sees only its own)? */
  canSeePatient(patientId: string): boolean;
  /** A last check on each resource (patient compartment, v2 scope suffixes); true under `auth none`. */
  canSee(resource: FhirResource): boolean;
}

export const allowAll: AccessPolicy = {
  description: 'auth none: everything',
  canRead: () => true,
  canSearch: () => true,
  canWrite: () => true,
  canSeePatient: () => true,
  canSee: () => true,
};

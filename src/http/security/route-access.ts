import type { Principal, Role } from '../../auth/principal.js';

/**
 * What a route requires. Every route declares one (`config: access(...)`); a route without one
 * refuses to register, so a new route cannot be served unprotected by accident.
 * - `public`: no token (health, discovery, OAuth endpoints).
 * - `dicomweb`: ImagingStudy scopes (`rs` for QIDO/WADO, `c` for STOW); delete needs the administrator
 *   role; patient-bound tokens see their patient's studies only.
 * - `resources`: every listed type with every listed interaction (e.g. AI write-back needs
 *   DiagnosticReport.c and Observation.c).
 * - `roles`: one of these roles (data quality, quarantine, sources, audit administration).
 * - `authenticated`: any valid token; the handler filters by scope itself (FHIR router per
 *   interaction, the context API per section).
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'dicomweb'; need: 'read' | 'create' | 'delete' }
  | { kind: 'resources'; types: readonly string[]; interactions: string }
  | { kind: 'roles'; roles: readonly Role[] }
  | { kind: 'authenticated' };

/** What a handler noted about the data it touched, for the audit record. */
export interface AccessNote {
  /** e.g. `query`, `instances-accessed`, `import`, `delete`, `context`, `ai-results`, `fhir`. */
  event?: string;
  studyUids?: string[];
  patientIds?: string[];
  /** Free details the audit mapping understands (FHIR interaction, resource type, id...). */
  details?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the access-control hook before any handler runs (ANONYMOUS under --auth none). */
    principal?: Principal;
    /** Filled by handlers; read by the audit hook. */
    accessNote?: AccessNote;
  }
}

/** Route options carrying the access rule: `app.get(path, access({ kind: 'public' }), handler)`. */
export function access(rule: RouteAccess): { config: { access: RouteAccess } } {
  return { config: { access: rule } };
}

export const PUBLIC = access({ kind: 'public' });
export const AUTHENTICATED = access({ kind: 'authenticated' });
export const ADMIN_ROLES: readonly Role[] = ['administrator'];
export const STEWARD_ROLES: readonly Role[] = ['data-steward', 'administrator'];

/** Adds a note for the audit record of this request (merging lists). */
export function noteAccess(req: { accessNote?: AccessNote }, note: AccessNote): void {
  const prev = req.accessNote ?? {};
  req.accessNote = {
    event: note.event ?? prev.event,
    studyUids: merge(prev.studyUids, note.studyUids),
    patientIds: merge(prev.patientIds, note.patientIds),
    details: { ...prev.details, ...note.details },
  };
}

function merge(a?: string[], b?: string[]): string[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])];
}

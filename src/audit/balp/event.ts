import type { Coding } from '../../fhir/types.js';
import type { AuditEvent } from '../types.js';
import type { AccessRecord } from './access-record.js';
import { requestAgents, source, type Agent } from './agents.js';
import { transactionEntity, type Entity } from './entities.js';
import { entityType, frozen, objectRole } from './codes.js';
import { auditOutcome, type OutcomeCode } from './outcome.js';

export interface EventParts {
  type: Coding;
  subtype?: Coding[];
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  entities: Entity[];
  agents?: Agent[];
  /** Overrides the record's outcome (a refused token with a 200 status is still a failure). */
  outcome?: { outcome: OutcomeCode; outcomeDesc?: string };
}

interface Frame {
  recorded: string;
  agents: Agent[];
  source: Record<string, unknown>;
  transaction: Entity;
}

/**
 * The parts every event of one access has in common, built once: the events of a many-patient
 * access share these objects, so the audit log writes their canonical text once
 * (canonicalJsonAll). Events are never changed after they are built.
 */
const frames = new WeakMap<AccessRecord, Frame>();

function frameOf(r: AccessRecord): Frame {
  let f = frames.get(r);
  if (!f) {
    f = {
      recorded: r.recorded.toISOString(),
      agents: requestAgents(r),
      source: source(r),
      transaction: transactionEntity(r.requestId),
    };
    frames.set(r, f);
  }
  return f;
}

/** The frame every BALP event shares: recorded, outcome, agents, source, the request id entity. */
export function auditEvent(r: AccessRecord, parts: EventParts): AuditEvent {
  const f = frameOf(r);
  return {
    resourceType: 'AuditEvent',
    type: parts.type,
    ...(parts.subtype?.length ? { subtype: parts.subtype } : {}),
    action: parts.action,
    recorded: f.recorded,
    ...(parts.outcome ?? auditOutcome(r.outcome, r.outcomeDesc)),
    agent: parts.agents ?? f.agents,
    source: f.source,
    entity: [...parts.entities, f.transaction],
  };
}

/** BALP: one AuditEvent per patient involved (reads, writes, exports); an access without a known patient gives one event without. */
export function perPatient(
  patientIds: readonly string[] | undefined,
  build: (patientId?: string) => AuditEvent,
): AuditEvent[] {
  const unique = [...new Set(patientIds ?? [])];
  return unique.length ? unique.map((id) => build(id)) : [build()];
}

/**
 * A list read (a search or query) that shows several patients: ONE event naming each patient as
 * its own entity (object-role 1), so `AuditEvent?patient=X` finds it and the chain holds one entry
 * per request. A deliberate deviation from BALP's one PatientQuery per patient (docs/security.md,
 * "Audit"): a page of 100 patients cost 100 searchable records.
 */
export function patientEntities(patientIds: readonly string[] | undefined): Entity[] {
  return [...new Set(patientIds ?? [])].map(listedPatientEntity);
}

/**
 * A patient of a list read: the codings without their `display` (the code says it; the display
 * is optional in FHIR). Repeated for every patient of a page (up to 100), the displays were ~15 %
 * of the record that the chain hashes and stores and the FHIR copy parses, serialises and keeps twice.
 */
const PERSON = frozen({ system: entityType.person.system, code: entityType.person.code });
const PATIENT_ROLE = frozen({ system: objectRole.patient.system, code: objectRole.patient.code });
/**
 * The entity of each listed patient is built once and kept deep-frozen (at most LISTED_MAX, the
 * map starts again when full): a page lists mostly the same patients read after read, and the
 * canonical text of a deep-frozen object is written once per process (canonical-json.ts), so the
 * writer thread no longer writes 100 entities' text for every page read — only joins them.
 */
const LISTED_MAX = 4096;
const listed = new Map<string, Entity>();
function listedPatientEntity(patientId: string): Entity {
  let entity = listed.get(patientId);
  if (entity === undefined) {
    if (listed.size >= LISTED_MAX) listed.clear();
    entity = frozen({ what: { reference: `Patient/${patientId}` }, type: PERSON, role: PATIENT_ROLE });
    listed.set(patientId, entity);
  }
  return entity;
}

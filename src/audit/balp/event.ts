import type { Coding } from '../../fhir/types.js';
import type { AuditEvent } from '../types.js';
import type { AccessRecord } from './access-record.js';
import { requestAgents, source, type Agent } from './agents.js';
import { transactionEntity, type Entity } from './entities.js';
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

/** The frame every BALP event shares: recorded, outcome, agents, source, the request id entity. */
export function auditEvent(r: AccessRecord, parts: EventParts): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: parts.type,
    ...(parts.subtype?.length ? { subtype: parts.subtype } : {}),
    action: parts.action,
    recorded: r.recorded.toISOString(),
    ...(parts.outcome ?? auditOutcome(r.outcome, r.outcomeDesc)),
    agent: parts.agents ?? requestAgents(r),
    source: source(r),
    entity: [...parts.entities, transactionEntity(r.requestId)],
  };
}

/** BALP: one AuditEvent per patient involved; an access without a known patient gives one event without. */
export function perPatient(
  patientIds: readonly string[] | undefined,
  build: (patientId?: string) => AuditEvent,
): AuditEvent[] {
  const unique = [...new Set(patientIds ?? [])];
  return unique.length ? unique.map((id) => build(id)) : [build()];
}

import type { AuditEvent, AuditSink } from '../types.js';
import type { AccessRecord } from './access-record.js';
import { aiResultsEvent, contextEvent } from './api.js';
import { dicomEvents } from './dicom.js';
import { fhirRestEvents } from './fhir-rest.js';
import { notificationEvents } from './notification.js';
import { configEvent, loginEvent, nodeAuthenticationEvent, tokenEvent } from './security.js';

/** The BALP AuditEvents of one access: usually one; one per patient when several are involved, except list reads. */
export function buildAuditEvents(r: AccessRecord): AuditEvent[] {
  const a = r.access;
  switch (a.kind) {
    case 'fhir':
      return fhirRestEvents(r, a);
    case 'dicom':
      return dicomEvents(r, a);
    case 'context':
      return [contextEvent(r, a)];
    case 'ai-results':
      return [aiResultsEvent(r, a)];
    case 'token':
      return [tokenEvent(r, a)];
    case 'login':
      return [loginEvent(r, a)];
    case 'config':
      return [configEvent(r, a)];
    case 'notification':
      return notificationEvents(r, a);
    case 'node-authentication':
      return [nodeAuthenticationEvent(r, a)];
  }
}

/**
 * Builds and records the events of one access (together: one entry of one commit); resolves when
 * all are durable. The audit log builds them on its writer thread.
 */
export function recordAccess(sink: AuditSink, r: AccessRecord): Promise<void> {
  if (sink.recordAccess) return sink.recordAccess(r);
  let events: AuditEvent[];
  try {
    events = buildAuditEvents(r);
  } catch (e) {
    return Promise.reject(e);
  }
  return sink.recordAll(events);
}

import type { FhirResource } from '../fhir/types.js';

/**
 * The AuditEvent of one patient context served (DICOM/IHE "query" pattern): who asked (the
 * policy's description until the security issue names the client), which patient, which
 * sections, and whether the answer was complete.
 */
export function contextAuditEvent(o: { patientReference: string; sections: string[]; complete: boolean; who: string; recorded: number }): FhirResource {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'urn:imaging-bridge:audit', code: 'patient-context', display: 'GET /api/context' }],
    action: 'E',
    recorded: new Date(o.recorded).toISOString(),
    outcome: o.complete ? '0' : '4',
    ...(o.complete ? {} : { outcomeDesc: 'partial: a section failed, timed out or was denied' }),
    agent: [{ requestor: true, who: { display: o.who } }],
    source: { observer: { display: 'ImagingBridge' } },
    entity: [{ what: { reference: o.patientReference }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' }, description: `sections: ${o.sections.join(', ')}` }],
  };
}

/**
 * Collects AuditEvents and writes them in one transaction every `intervalMs`: one fsync per
 * batch, so auditing a busy context API does not queue a durable write before every read.
 */
export class AuditBatcher {
  private pending: FhirResource[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (events: FhirResource[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 500,
  ) {}

  add(event: FhirResource): void {
    this.pending.push(event);
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.flushing = this.flushing.then(() => this.write(batch)).catch(this.onError);
    return this.flushing;
  }
}

/** Helpers of the worklist scenario tests: FHIR writes, the list, and an SSE reader over fetch. */
import type { Json } from './support/http.js';

export const SNOMED = 'http://snomed.info/sct';
export const ACSN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] };
export const ACC_SYSTEM = 'urn:test:accession';
export const FLAG_SYSTEM = 'http://hospital.example/fhir/CodeSystem/flag';
export const CHEST = { system: SNOMED, code: '51185008', display: 'Thorax' };
export const HEAD = { system: SNOMED, code: '69536005', display: 'Head' };
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const iso = (ms: number) => new Date(ms).toISOString();

export class Fhir {
  constructor(readonly base: string) {}

  async create(resource: Json): Promise<Json> {
    const res = await fetch(`${this.base}/${resource.resourceType}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    const body = (await res.json()) as Json;
    if (res.status !== 201) throw new Error(`create ${resource.resourceType}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  async update(resource: Json): Promise<Json> {
    const res = await fetch(`${this.base}/${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    const body = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`update ${resource.resourceType}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  patient(family: string): Promise<Json> {
    return this.create({
      resourceType: 'Patient',
      name: [{ family, given: ['Test'] }],
      identifier: [{ system: 'urn:test:mrn', value: family }],
    });
  }

  study(
    patientId: string,
    uid: string,
    o: { started: number; site: typeof CHEST; accession?: string; basedOn?: string; description?: string },
  ): Promise<Json> {
    return this.create({
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [
        { system: 'urn:dicom:uid', value: `urn:oid:${uid}` },
        ...(o.accession ? [{ use: 'usual', type: ACSN, system: ACC_SYSTEM, value: o.accession }] : []),
      ],
      ...(o.basedOn ? { basedOn: [{ reference: o.basedOn }] } : {}),
      subject: { reference: `Patient/${patientId}` },
      started: iso(o.started),
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
      description: o.description ?? `CT ${o.site.display}`,
      series: [
        {
          uid: `${uid}.1`,
          modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
          bodySite: o.site,
        },
      ],
    });
  }

  order(patientId: string, priority: string, o: { accession?: string; reason?: string } = {}): Promise<Json> {
    return this.create({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      priority,
      ...(o.accession ? { identifier: [{ type: ACSN, system: ACC_SYSTEM, value: o.accession }] } : {}),
      code: { text: 'CT' },
      subject: { reference: `Patient/${patientId}` },
      ...(o.reason ? { reasonCode: [{ text: o.reason }] } : {}),
    });
  }

  encounter(patientId: string, cls: string, status: string, location?: string): Promise<Json> {
    return this.create({
      resourceType: 'Encounter',
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
      subject: { reference: `Patient/${patientId}` },
      ...(location ? { location: [{ location: { reference: location }, status: 'active' }] } : {}),
    });
  }

  flag(patientId: string, code: string, status: string, start = Date.now() - MIN): Promise<Json> {
    return this.create({
      resourceType: 'Flag',
      status,
      code: { coding: [{ system: FLAG_SYSTEM, code }], text: code },
      subject: { reference: `Patient/${patientId}` },
      period: { start: iso(start) },
    });
  }
}

/** The terms of an item as `term points` strings, in order. */
export const termsOf = (item: Json): string[] => item.terms.map((t: Json) => `${t.term} ${t.points}`);

/** Server-Sent Events read with fetch (the way the console reads them): every event kept. */
export class EventReader {
  readonly events: { type: string; data: Json; at: number }[] = [];
  private readonly abort = new AbortController();
  ready!: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ready = (async () => {
      const res = await fetch(url, { headers, signal: this.abort.signal });
      if (res.status !== 200) throw new Error(`events: ${res.status}`);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let opened: () => void = () => {};
      const first = new Promise<void>((r) => {
        opened = r;
      });
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buffer += decoder.decode(value, { stream: true });
            opened();
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const type = /^event: (.+)$/m.exec(block)?.[1];
              const data = /^data: (.+)$/m.exec(block)?.[1];
              if (type && data) this.events.push({ type, data: JSON.parse(data), at: Date.now() });
              end = buffer.indexOf('\n\n');
            }
          }
        } catch {
          // aborted
        }
      })();
      await first;
    })();
  }

  close(): void {
    this.abort.abort();
  }
}

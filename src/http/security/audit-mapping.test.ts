import { describe, expect, it } from 'vitest';
import { buildAuditEvents, type AuditEvent } from '../../audit/index.js';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../../fhir/validate.js';
import type { Principal } from '../../auth/principal.js';
import type { HttpAccess } from './audit-hook.js';
import { accessRecordsOf, oauthAccessRecord } from './audit-mapping.js';

loadR4(); // the StructureDefinitions validateFhirResource checks against

const server = { publicUrl: 'https://ib.example' };
const at = new Date('2026-11-28T10:00:00Z');
const client: Principal = {
  kind: 'client',
  clientId: 'ai-tool',
  subject: 'ai-tool',
  jti: 'j-1',
  scope: 'system/*.rs',
  roles: ['ai-service'],
};
const base: Omit<HttpAccess, 'path' | 'route' | 'method' | 'rule'> = {
  principal: client,
  requestId: 'r-1',
  sourceIp: '10.0.0.9',
  status: 200,
};

describe('HTTP access → BALP access records', () => {
  it('describes a WADO-RS retrieve from the handler note, and a refused one from its path alone', () => {
    const noted = accessRecordsOf(
      {
        ...base,
        method: 'GET',
        path: '/dicomweb/studies/1.2.3/metadata',
        route: '/dicomweb/studies/:study/metadata',
        rule: { kind: 'dicomweb', need: 'read' },
        note: { event: 'instances-accessed', studyUids: ['1.2.3'], patientIds: ['p-1'] },
      },
      server,
      at,
    );
    expect(noted).toEqual([
      expect.objectContaining({
        outcome: { httpStatus: 200 },
        access: {
          kind: 'dicom',
          event: 'instances-accessed',
          transport: 'dicomweb',
          service: 'WADO-RS',
          studyUids: ['1.2.3'],
          patientIds: ['p-1'],
        },
      }),
    ]);
    const refused = accessRecordsOf(
      {
        ...base,
        principal: undefined,
        status: 401,
        method: 'GET',
        path: '/dicomweb/studies/1.2.3/metadata',
        route: '/dicomweb/studies/:study/metadata',
        rule: { kind: 'dicomweb', need: 'read' },
      },
      server,
      at,
    );
    expect(refused[0]).toMatchObject({
      outcome: { httpStatus: 401 },
      access: { event: 'instances-accessed', studyUids: ['1.2.3'] },
    });
    expect(refused[0].principal).toBeUndefined();
    const qido = accessRecordsOf(
      {
        ...base,
        status: 403,
        method: 'GET',
        path: '/dicomweb/studies',
        route: '/dicomweb/studies',
        rule: { kind: 'dicomweb', need: 'read' },
      },
      server,
      at,
    );
    expect(qido[0].access).toMatchObject({ event: 'query', service: 'QIDO-RS', studyUids: [] });
  });

  it('records a FHIR transaction and each of its entries with its own outcome', () => {
    const entries = [
      { interaction: 'create', resourceType: 'Observation', patientIds: ['p-1'], status: 201 },
      { interaction: 'update', resourceType: 'Patient', id: 'p-1', versionId: '2', patientIds: ['p-1'], status: 200 },
    ];
    const records = accessRecordsOf(
      {
        ...base,
        method: 'POST',
        path: '/fhir',
        route: '/fhir',
        rule: { kind: 'authenticated' },
        note: { event: 'fhir', patientIds: ['p-1'], details: { interaction: 'transaction', entries, status: 200 } },
      },
      server,
      at,
    );
    expect(records.map((r) => r.access)).toEqual([
      { kind: 'fhir', interaction: 'transaction', patientIds: ['p-1'] },
      { kind: 'fhir', interaction: 'create', resourceType: 'Observation', patientIds: ['p-1'] },
      { kind: 'fhir', interaction: 'update', resourceType: 'Patient', id: 'p-1', versionId: '2', patientIds: ['p-1'] },
    ]);
    expect(records[1].outcome).toEqual({ httpStatus: 201 });
  });

  it('guesses the FHIR interaction of a request refused before the router saw it', () => {
    const of = (method: string, path: string) =>
      accessRecordsOf(
        { ...base, status: 401, method, path, route: '/fhir/*', rule: { kind: 'authenticated' } },
        server,
        at,
      )[0].access;
    expect(of('GET', '/fhir/Observation')).toEqual({
      kind: 'fhir',
      interaction: 'search-type',
      resourceType: 'Observation',
    });
    expect(of('GET', '/fhir/Patient/p-1')).toEqual({
      kind: 'fhir',
      interaction: 'read',
      resourceType: 'Patient',
      id: 'p-1',
    });
    expect(of('GET', '/fhir/Patient/p-1/_history/3')).toMatchObject({ interaction: 'vread', id: 'p-1' });
    expect(of('PUT', '/fhir/Patient/p-1')).toMatchObject({ interaction: 'update' });
    expect(of('POST', '/fhir/Patient/_search')).toMatchObject({ interaction: 'search-type', resourceType: 'Patient' });
  });

  it('maps steward routes, the context API, AI results and token events, and every record builds valid AuditEvents', () => {
    const records = [
      ...accessRecordsOf(
        {
          ...base,
          method: 'POST',
          path: '/api/quarantine/1.2.3/release',
          route: '/api/quarantine/:study/release',
          rule: { kind: 'roles', roles: ['data-steward'] },
        },
        server,
        at,
      ),
      ...accessRecordsOf(
        {
          ...base,
          method: 'GET',
          path: '/api/context',
          route: '/api/context',
          rule: { kind: 'resources', types: ['Patient'], interactions: 'r' },
          note: {
            event: 'context',
            patientIds: ['p-1'],
            details: { sections: ['conditions'], omitted: ['observations'] },
          },
        },
        server,
        at,
      ),
      ...accessRecordsOf(
        {
          ...base,
          status: 201,
          method: 'POST',
          path: '/api/ai-results',
          route: '/api/ai-results',
          rule: { kind: 'resources', types: ['DiagnosticReport'], interactions: 'c' },
          note: { event: 'ai-results', studyUids: ['1.2.3'], details: { diagnosticReportId: 'dr-1' } },
        },
        server,
        at,
      ),
      oauthAccessRecord(
        { kind: 'token-issued', clientId: 'ai-tool', jti: 'j-2', scope: 'system/*.rs', requestId: 'r-2' },
        server,
        at,
      ),
      oauthAccessRecord(
        { kind: 'token-denied', clientId: 'ai-tool', reason: 'invalid_client: jti already used', requestId: 'r-3' },
        server,
        at,
      ),
    ];
    expect(records[0].access).toEqual({
      kind: 'config',
      what: 'settings-changed',
      target: 'POST /api/quarantine/:study/release',
    });
    expect(records[1].access).toEqual({
      kind: 'context',
      patientId: 'p-1',
      sections: ['conditions'],
      omitted: ['observations'],
    });
    expect(records[2].access).toEqual({ kind: 'ai-results', studyUid: '1.2.3', diagnosticReportId: 'dr-1' });
    expect(records[4]).toMatchObject({ outcome: 'minor', access: { kind: 'token', granted: false } });
    for (const r of records) for (const e of buildAuditEvents(r)) expect(() => validateFhirResource(e)).not.toThrow();
  });
  it('records the recent stroke checks as a search of the run Lists naming the patients answered, as valid AuditEvents', () => {
    const records = accessRecordsOf(
      {
        ...base,
        method: 'GET',
        path: '/api/stroke/recent',
        route: '/api/stroke/recent',
        rule: { kind: 'resources', types: ['List', 'DetectedIssue'], interactions: 'rs' },
        note: { event: 'stroke-recent', patientIds: ['p-1', 'p-2'], studyUids: ['1.2.3'], details: { limit: 20 } },
      },
      server,
      at,
    );
    expect(records[0].access).toEqual({
      kind: 'fhir',
      interaction: 'search-type',
      resourceType: 'List',
      query: 'code=https://imaging-bridge.example/fhir/CodeSystem/stroke|thrombolysis-check&limit=20&offset=0',
      patientIds: ['p-1', 'p-2'],
    });
    for (const r of records) for (const e of buildAuditEvents(r)) expect(() => validateFhirResource(e)).not.toThrow();
    // A list read: one event naming both patients (docs/security.md, "Audit").
    expect(records.flatMap(buildAuditEvents).map(patientsOf)).toEqual([['Patient/p-1', 'Patient/p-2']]);
  });

  it('records a worklist page as ONE DICOM query naming each patient shown and the query as asked', () => {
    const page = (query: string) =>
      accessRecordsOf(
        {
          ...base,
          method: 'GET',
          path: '/api/worklist',
          route: '/api/worklist',
          rule: { kind: 'resources', types: ['Patient'], interactions: 'rs' },
          note: { event: 'worklist', patientIds: ['p-1', 'p-2', 'p-3'], details: { query } },
        },
        server,
        at,
      ).flatMap(buildAuditEvents);
    const events = page('limit=100&modality=CT');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: { code: '110112' }, action: 'E' });
    expect(patientsOf(events[0]!)).toEqual(['Patient/p-1', 'Patient/p-2', 'Patient/p-3']);
    const query = (events[0]!.entity as { role?: { code?: string }; query?: string }[]).find(
      (e) => e.role?.code === '24',
    );
    expect(Buffer.from(query?.query ?? '', 'base64').toString()).toBe('limit=100&modality=CT');
    expect(() => validateFhirResource(events[0]!)).not.toThrow();
  });
});

const patientsOf = (e: AuditEvent) =>
  (e.entity as { what?: { reference?: string }; role?: { code?: string } }[])
    .filter((x) => x.role?.code === '1')
    .map((x) => x.what?.reference);

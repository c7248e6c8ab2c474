/** Test and benchmark inputs only (excluded from dist by tsconfig.build.json). */
import type { Principal } from '../../auth/principal.js';
import type { AccessRecord } from './access-record.js';

const server = { publicUrl: 'https://ib.example.org', aeTitle: 'IMGBRIDGE' };
const recorded = new Date('2024-05-01T10:00:00.000Z');
const base = { requestId: 'req-1', sourceIp: '10.0.0.8', recorded, server } as const;

const aiTool: Principal = {
  kind: 'client',
  clientId: 'ai-tool',
  subject: 'ai-tool',
  jti: 'jti-42',
  issuer: 'https://ib.example.org',
  scope: 'system/ImagingStudy.rs',
  roles: ['ai-service'],
};
const radiologist: Principal = {
  kind: 'user',
  clientId: 'web-ui',
  subject: 'u-17',
  jti: 'jti-7',
  issuer: 'https://ib.example.org',
  scope: 'user/*.rs',
  roles: ['radiologist'],
  fhirUser: 'Practitioner/pr-3',
};

/** Inputs of the golden files: one per BALP shape we emit. */
export const GOLDEN_CASES: Record<string, AccessRecord> = {
  'fhir-read-observation': {
    ...base,
    principal: radiologist,
    outcome: { httpStatus: 200 },
    access: { kind: 'fhir', interaction: 'read', resourceType: 'Observation', id: 'obs-1', patientIds: ['p-1'] },
  },
  'fhir-read-patient': {
    ...base,
    principal: radiologist,
    outcome: 'success',
    access: { kind: 'fhir', interaction: 'read', resourceType: 'Patient', id: 'p-1' },
  },
  'fhir-vread': {
    ...base,
    principal: aiTool,
    outcome: 'success',
    access: {
      kind: 'fhir',
      interaction: 'vread',
      resourceType: 'ImagingStudy',
      id: 'is-1',
      versionId: '2',
      patientIds: ['p-1'],
    },
  },
  'fhir-search-two-patients': {
    ...base,
    principal: aiTool,
    outcome: 'success',
    access: {
      kind: 'fhir',
      interaction: 'search-type',
      resourceType: 'ImagingStudy',
      query: 'modality=CT&_count=10',
      patientIds: ['p-1', 'p-2'],
    },
  },
  'fhir-create': {
    ...base,
    principal: aiTool,
    outcome: { httpStatus: 201 },
    access: { kind: 'fhir', interaction: 'create', resourceType: 'Observation', id: 'obs-9', patientIds: ['p-1'] },
  },
  'fhir-update-denied-403': {
    ...base,
    principal: aiTool,
    outcome: { httpStatus: 403 },
    outcomeDesc: 'no scope covers Observation update',
    access: { kind: 'fhir', interaction: 'update', resourceType: 'Observation', id: 'obs-1' },
  },
  'fhir-unauthenticated-401': {
    ...base,
    outcome: { httpStatus: 401 },
    access: { kind: 'fhir', interaction: 'search-type', resourceType: 'Patient', query: 'identifier=MRN-1' },
  },
  'fhir-history-anonymous': {
    ...base,
    principal: { kind: 'anonymous', scope: 'system/*.cruds', roles: ['administrator'] },
    outcome: 'success',
    access: { kind: 'fhir', interaction: 'history', resourceType: 'Patient', id: 'p-1' },
  },
  'dicomweb-qido': {
    ...base,
    principal: aiTool,
    outcome: 'success',
    access: {
      kind: 'dicom',
      event: 'query',
      transport: 'dicomweb',
      service: 'QIDO-RS',
      studyUids: [],
      query: 'PatientID=MRN-1&ModalitiesInStudy=CT',
    },
  },
  // GET /api/worklist: a list read showing three patients, one event naming them all.
  'worklist-list': {
    ...base,
    principal: radiologist,
    outcome: { httpStatus: 200 },
    access: {
      kind: 'dicom',
      event: 'query',
      transport: 'dicomweb',
      studyUids: [],
      patientIds: ['p-1', 'p-2', 'p-3'],
      query: 'status=unread&limit=100',
    },
  },
  'dicomweb-wado': {
    ...base,
    principal: radiologist,
    outcome: 'success',
    access: {
      kind: 'dicom',
      event: 'instances-accessed',
      transport: 'dicomweb',
      service: 'WADO-RS',
      studyUids: ['1.2.3.4'],
      patientIds: ['p-1'],
    },
  },
  'dicomweb-stow': {
    ...base,
    principal: aiTool,
    outcome: { httpStatus: 200 },
    access: {
      kind: 'dicom',
      event: 'instances-transferred',
      transport: 'dicomweb',
      service: 'STOW-RS',
      studyUids: ['1.2.3.4'],
      sopClassUids: ['1.2.840.10008.5.1.4.1.1.88.22'],
    },
  },
  'dimse-c-store-refused': {
    ...base,
    outcome: { dicomStatus: 0xa700 },
    actor: 'dimse',
    access: {
      kind: 'dicom',
      event: 'instances-transferred',
      transport: 'dimse',
      service: 'C-STORE',
      studyUids: ['1.2.3.4'],
      callingAet: 'CT_SCANNER',
      calledAet: 'IMGBRIDGE',
      sopClassUids: ['1.2.840.10008.5.1.4.1.1.2'],
    },
  },
  'dimse-c-find': {
    ...base,
    outcome: { dicomStatus: 0 },
    actor: 'dimse',
    access: {
      kind: 'dicom',
      event: 'query',
      transport: 'dimse',
      service: 'C-FIND',
      studyUids: [],
      query: 'QueryRetrieveLevel=STUDY PatientID=MRN-1',
      callingAet: 'VIEWER',
      calledAet: 'IMGBRIDGE',
    },
  },
  'dimse-c-move': {
    ...base,
    outcome: { dicomStatus: 0xb000 },
    actor: 'dimse',
    access: {
      kind: 'dicom',
      event: 'instances-transferred',
      transport: 'dimse',
      service: 'C-MOVE',
      studyUids: ['1.2.3.4'],
      patientIds: ['p-1'],
      callingAet: 'VIEWER',
      calledAet: 'IMGBRIDGE',
      moveDestinationAet: 'WORKSTATION',
    },
  },
  'dicom-delete': {
    ...base,
    principal: radiologist,
    outcome: 'success',
    access: {
      kind: 'dicom',
      event: 'delete',
      transport: 'dicomweb',
      service: 'DELETE',
      studyUids: ['1.2.3.4'],
      patientIds: ['p-1'],
    },
  },
  'dicom-import-cli': {
    ...base,
    actor: 'cli',
    outcome: 'success',
    access: { kind: 'dicom', event: 'import', transport: 'dicomweb', studyUids: ['1.2.3.4', '1.2.3.5'] },
  },
  context: {
    ...base,
    principal: aiTool,
    outcome: 'minor',
    outcomeDesc: 'partial: a section was denied',
    access: { kind: 'context', patientId: 'p-1', sections: ['imaging', 'labs'], omitted: ['medications'] },
  },
  'ai-results': {
    ...base,
    principal: aiTool,
    outcome: { httpStatus: 201 },
    access: { kind: 'ai-results', studyUid: '1.2.3.4', diagnosticReportId: 'dr-1', patientId: 'p-1' },
  },
  'token-granted': {
    ...base,
    outcome: { httpStatus: 200 },
    access: {
      kind: 'token',
      clientId: 'ai-tool',
      grantType: 'client_credentials',
      jti: 'jti-42',
      scope: 'system/ImagingStudy.rs',
      granted: true,
    },
  },
  'token-refused-replay': {
    ...base,
    outcome: { httpStatus: 400 },
    access: {
      kind: 'token',
      clientId: 'ai-tool',
      grantType: 'client_credentials',
      granted: false,
      reason: 'client assertion jti was already used',
    },
  },
  login: { ...base, outcome: 'success', access: { kind: 'login', userId: 'u-17', clientId: 'web-ui' } },
  'notification-rest-hook': {
    ...base,
    sourceIp: undefined,
    principal: aiTool,
    outcome: 'success',
    access: {
      kind: 'notification',
      event: 'rest-hook',
      subscriptionId: 'sub-1',
      resource: 'ImagingStudy/is-1',
      patientIds: ['p-1'],
      endpoint: 'https://ai.example.org/hooks',
      payload: true,
    },
  },
  'notification-websocket-open-refused': {
    ...base,
    outcome: { httpStatus: 401 },
    outcomeDesc: 'an access token is required',
    access: { kind: 'notification', event: 'websocket-open' },
  },
  'notification-websocket-bind': {
    ...base,
    principal: radiologist,
    outcome: 'success',
    access: { kind: 'notification', event: 'websocket-bind', subscriptionId: 'sub-2' },
  },
  'notification-websocket-ping': {
    ...base,
    principal: radiologist,
    outcome: 'success',
    access: {
      kind: 'notification',
      event: 'websocket-notification',
      subscriptionId: 'sub-2',
      resource: 'ImagingStudy/is-1',
      patientIds: ['p-1'],
    },
  },
  'dimse-association-rejected': {
    ...base,
    actor: 'dimse',
    outcome: 'minor',
    outcomeDesc: 'calling AE "INTRUDER" from 10.0.0.8 is not in the allow list',
    access: {
      kind: 'node-authentication',
      transport: 'dimse',
      reason: 'calling-ae-not-allowed',
      callingAet: 'INTRUDER',
      calledAet: 'IMGBRIDGE',
    },
  },
  'dimse-tls-failed': {
    ...base,
    actor: 'dimse',
    outcome: 'minor',
    outcomeDesc: 'TLS handshake failed: peer did not return a certificate',
    access: { kind: 'node-authentication', transport: 'dimse', reason: 'tls-handshake-failed' },
  },
  'config-client-registered': {
    ...base,
    actor: 'cli',
    requestId: 'cli-1',
    outcome: 'success',
    access: { kind: 'config', what: 'client-registered', target: 'ai-tool' },
  },
};

/** A worklist-style list read (`limit=100`) naming `patientIds`: the audited query with the most entities. */
export function listReadAccess(requestId: string, patientIds: string[]): AccessRecord {
  return {
    requestId,
    sourceIp: '10.0.0.8',
    outcome: { httpStatus: 200 },
    recorded: new Date(Date.UTC(2024, 4, 1, 9)),
    server: { publicUrl: 'https://ib.example.org' },
    access: {
      kind: 'dicom',
      event: 'query',
      transport: 'dicomweb',
      studyUids: [],
      patientIds,
      query: 'limit=100',
    },
  };
}

import type {
  Access,
  AccessRecord,
  ConfigChange,
  DicomEvent,
  DicomService,
  FhirInteraction,
} from '../../audit/balp/access-record.js';
import { RUN_CODE, STROKE_SYSTEM } from '../../applications/stroke/index.js';
import type { OAuthEvent } from '../../security/oauth/events.js';
import type { HttpAccess } from './audit-hook.js';

/**
 * One HTTP access as a BALP AccessRecord (pure). What the handler noted wins; a request refused
 * before its handler ran (401/403) is described from its method and path alone.
 */
export function accessRecordsOf(h: HttpAccess, server: { publicUrl: string }, recorded = new Date()): AccessRecord[] {
  const whole = accessRecordOf(h, server, recorded);
  // A FHIR batch or transaction: the Bundle, and each entry on its own (with its own outcome).
  const entries = ((h.note?.details?.entries as (EntryAccess | undefined)[] | undefined) ?? []).filter(
    (e): e is EntryAccess => e !== undefined,
  );
  return [
    whole,
    ...entries.map(
      (e): AccessRecord => ({
        ...whole,
        outcome: { httpStatus: e.status ?? h.status },
        access: {
          kind: 'fhir',
          interaction: e.interaction,
          ...(e.resourceType ? { resourceType: e.resourceType } : {}),
          ...(e.id ? { id: e.id } : {}),
          ...(e.versionId ? { versionId: e.versionId } : {}),
          ...(e.query ? { query: e.query } : {}),
          ...(e.patientIds?.length ? { patientIds: e.patientIds } : {}),
        },
      }),
    ),
  ];
}

/** What the FHIR router reports per batch/transaction entry. */
interface EntryAccess {
  interaction: FhirInteraction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  query?: string;
  patientIds?: string[];
  status?: number;
}

export function accessRecordOf(h: HttpAccess, server: { publicUrl: string }, recorded = new Date()): AccessRecord {
  return {
    ...(h.principal ? { principal: h.principal } : {}),
    requestId: h.requestId,
    sourceIp: h.sourceIp,
    outcome: { httpStatus: h.status },
    recorded,
    server,
    access: accessOf(h),
  };
}

function accessOf(h: HttpAccess): Access {
  const note = h.note ?? {};
  const details = note.details ?? {};
  if (h.path.startsWith('/dicomweb/')) {
    const event = (note.event as DicomEvent | undefined) ?? dicomEventOf(h.method, h.route);
    return {
      kind: 'dicom',
      event,
      transport: 'dicomweb',
      service: DICOMWEB_SERVICE[event],
      studyUids: note.studyUids ?? studyOfPath(h.path),
      ...(note.patientIds ? { patientIds: note.patientIds } : {}),
      ...(typeof details.query === 'string' && details.query ? { query: details.query } : {}),
    };
  }
  if (h.path === '/fhir' || h.path.startsWith('/fhir/')) {
    const segments = h.path.split('/').filter(Boolean).slice(1);
    const plain = (s: string | undefined) => (s && !s.startsWith('$') && !s.startsWith('_') ? s : undefined);
    const resourceType = (details.resourceType as string | undefined) ?? plain(segments[0]);
    const id = (details.id as string | undefined) ?? plain(segments[1]);
    return {
      kind: 'fhir',
      interaction: (details.interaction as FhirInteraction | undefined) ?? fhirInteractionOf(h.method, segments),
      ...(resourceType ? { resourceType } : {}),
      ...(id ? { id } : {}),
      ...(typeof details.versionId === 'string' ? { versionId: details.versionId } : {}),
      ...(typeof details.query === 'string' && details.query ? { query: details.query } : {}),
      ...(note.patientIds ? { patientIds: note.patientIds } : {}),
    };
  }
  // The stroke check reads the same patient record as the context API: audited the same way.
  if (h.path === '/api/context' || h.path === '/api/stroke/assessment') {
    return {
      kind: 'context',
      patientId: note.patientIds?.[0] ?? '',
      sections: (details.sections as string[] | undefined) ?? [],
      ...(details.omitted ? { omitted: details.omitted as string[] } : {}),
    };
  }
  // The recent stroke checks (and their event stream) are a search of the persisted runs (List + DetectedIssue).
  if (h.path === '/api/stroke/recent' || h.path === '/api/stroke/events') {
    const page = h.path.endsWith('/recent') ? `&limit=${details.limit ?? ''}&offset=${details.offset ?? 0}` : '';
    return {
      kind: 'fhir',
      interaction: 'search-type',
      resourceType: 'List',
      query: `code=${STROKE_SYSTEM}|${RUN_CODE}${page}`,
      ...(note.patientIds ? { patientIds: note.patientIds } : {}),
    };
  }
  if (h.path === '/api/ai-results') {
    return {
      kind: 'ai-results',
      studyUid: note.studyUids?.[0] ?? '',
      ...(typeof details.diagnosticReportId === 'string' ? { diagnosticReportId: details.diagnosticReportId } : {}),
      ...(note.patientIds?.[0] ? { patientId: note.patientIds[0] } : {}),
    };
  }
  // Users and clients changed by an administrator: the same record as the CLI's change.
  if (note.event === 'config' && typeof details.what === 'string')
    return {
      kind: 'config',
      what: details.what as ConfigChange,
      ...(typeof details.target === 'string' ? { target: details.target } : {}),
    };
  // The worklist is a query over studies that names their patients (list, item, event stream).
  if (h.path === '/api/worklist' || h.path.startsWith('/api/worklist/'))
    return {
      kind: 'dicom',
      event: 'query',
      transport: 'dicomweb',
      studyUids: note.studyUids ?? [],
      ...(note.patientIds?.length ? { patientIds: note.patientIds } : {}),
      ...(typeof details.query === 'string' && details.query ? { query: details.query } : {}),
    };
  // Data steward and administrator routes: reading them is a query over DICOM data; acting on
  // them (release, reject, replay) is a change of the data-quality state.
  if (h.method === 'GET' || h.method === 'HEAD')
    return { kind: 'dicom', event: 'query', transport: 'dicomweb', studyUids: note.studyUids ?? studyOfPath(h.path) };
  return { kind: 'config', what: 'settings-changed', target: `${h.method} ${h.route}` };
}

const DICOMWEB_SERVICE: Record<DicomEvent, DicomService> = {
  query: 'QIDO-RS',
  'instances-accessed': 'WADO-RS',
  'instances-transferred': 'WADO-RS',
  import: 'STOW-RS',
  delete: 'DELETE',
};

function dicomEventOf(method: string, route: string): DicomEvent {
  if (method === 'POST') return 'import';
  if (method === 'DELETE') return 'delete';
  return /\/(studies|series|instances)$/.test(route) ? 'query' : 'instances-accessed';
}

function studyOfPath(path: string): string[] {
  const m = /\/studies\/([^/]+)/.exec(path);
  return m ? [decodeURIComponent(m[1])] : [];
}

function fhirInteractionOf(method: string, segments: string[]): FhirInteraction {
  if (segments.length === 0) return method === 'POST' ? 'transaction' : 'search-system';
  if (segments.some((s) => s.startsWith('$'))) return 'operation';
  if (segments.includes('_history')) return segments.length >= 4 ? 'vread' : 'history';
  switch (method) {
    case 'POST':
      return segments[1] === '_search' ? 'search-type' : 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return segments.length === 1 ? 'search-type' : 'read';
  }
}

/** What the authorization server reports (token issued or refused, login) as an AccessRecord. */
export function oauthAccessRecord(e: OAuthEvent, server: { publicUrl: string }, recorded = new Date()): AccessRecord {
  const failed = e.kind === 'token-denied' || e.kind === 'login-failed';
  const access: Access =
    e.kind === 'token-issued' || e.kind === 'token-denied'
      ? {
          kind: 'token',
          clientId: e.clientId ?? 'unknown',
          granted: !failed,
          ...(e.jti ? { jti: e.jti } : {}),
          ...(e.scope ? { scope: e.scope } : {}),
          ...(e.reason ? { reason: e.reason } : {}),
        }
      : { kind: 'login', userId: e.subject ?? 'unknown', ...(e.clientId ? { clientId: e.clientId } : {}) };
  return {
    actor: 'oauth',
    requestId: e.requestId ?? '',
    ...(e.ip ? { sourceIp: e.ip } : {}),
    outcome: failed ? 'minor' : 'success',
    ...(failed && e.reason ? { outcomeDesc: e.reason } : {}),
    recorded,
    server,
    access,
  };
}

import type { Principal } from '../../auth/principal.js';

/**
 * What a protocol edge knows about one access, in plain terms; the builders turn it into a
 * BALP-shaped AuditEvent. Identifiers only: never names, birth dates or resource content.
 */
export interface AccessRecord {
  /** Absent for an unauthenticated request (a 401) or a local CLI action (then `actor`). */
  principal?: Principal;
  /** Who acted when there is no principal, e.g. `cli`, `dimse`; never a person's name. */
  actor?: string;
  requestId: string;
  sourceIp?: string;
  outcome: AuditOutcome;
  /** Why it failed, in words without PHI (default: derived from the status). */
  outcomeDesc?: string;
  recorded: Date;
  server: { publicUrl: string; aeTitle?: string };
  access: Access;
}

/** BALP/ATNA outcome words, or the status the edge answered. */
export type AuditOutcome = 'success' | 'minor' | 'serious' | 'major' | { httpStatus: number } | { dicomStatus: number };

export type Access =
  | FhirAccess
  | DicomAccess
  | ContextAccess
  | AiResultsAccess
  | TokenAccess
  | LoginAccess
  | ConfigAccess
  | NotificationAccess
  | NodeAuthenticationAccess;

export type FhirInteraction =
  | 'read'
  | 'vread'
  | 'search-type'
  | 'search-system'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history'
  | 'batch'
  | 'transaction'
  | 'capabilities'
  | 'operation';

export interface FhirAccess {
  kind: 'fhir';
  interaction: FhirInteraction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** `$name` for an operation. */
  operation?: string;
  /** The raw query string (without `?`), recorded base64 in the query entity. */
  query?: string;
  /** FHIR Patient ids involved: one AuditEvent per patient (BALP), but one naming them all for a search. */
  patientIds?: string[];
}

export type DicomEvent = 'query' | 'instances-accessed' | 'instances-transferred' | 'import' | 'delete';
export type DicomService = 'QIDO-RS' | 'WADO-RS' | 'STOW-RS' | 'DELETE' | 'C-FIND' | 'C-STORE' | 'C-MOVE' | 'C-GET';

export interface DicomAccess {
  kind: 'dicom';
  event: DicomEvent;
  transport: 'dicomweb' | 'dimse';
  service?: DicomService;
  studyUids: string[];
  /** FHIR Patient ids of the studies' patients, when the edge knows them (a query: one event names them all). */
  patientIds?: string[];
  /** QIDO-RS query string or the C-FIND identifier as text. */
  query?: string;
  callingAet?: string;
  calledAet?: string;
  /** C-MOVE destination. */
  moveDestinationAet?: string;
  sopClassUids?: string[];
}

export interface ContextAccess {
  kind: 'context';
  patientId: string;
  sections: string[];
  /** Sections left out (denied by scope, failed or timed out). */
  omitted?: string[];
}

export interface AiResultsAccess {
  kind: 'ai-results';
  studyUid: string;
  diagnosticReportId?: string;
  patientId?: string;
}

export interface TokenAccess {
  kind: 'token';
  clientId: string;
  grantType?: string;
  jti?: string;
  scope?: string;
  granted: boolean;
  reason?: string;
}

export interface LoginAccess {
  kind: 'login';
  /** The user id (token `sub`), not a name. */
  userId: string;
  clientId?: string;
  logout?: boolean;
}

export type ConfigChange =
  | 'client-registered'
  | 'client-removed'
  | 'client-updated'
  | 'user-added'
  | 'user-removed'
  | 'user-updated'
  | 'settings-changed';

export interface ConfigAccess {
  kind: 'config';
  what: ConfigChange;
  /** The client id or user id changed. */
  target?: string;
}

/** A Subscription channel: a notification leaving the server, or the websocket opened or bound. */
export interface NotificationAccess {
  kind: 'notification';
  event: 'rest-hook' | 'websocket-open' | 'websocket-bind' | 'websocket-notification';
  subscriptionId?: string;
  /** `Type/id` of the resource the notification is about. */
  resource?: string;
  /** FHIR Patient ids the resource is about: one AuditEvent per patient (BALP). */
  patientIds?: string[];
  /** rest-hook: the URL the notification goes to (allow-listed; never credentials or headers). */
  endpoint?: string;
  /** rest-hook: the resource's content is in the body (channel.payload). */
  payload?: boolean;
}

/**
 * A peer node that failed to authenticate: a DIMSE association refused (A-ASSOCIATE-RJ: calling
 * AE or address not allowed, called AE not ours, too many associations) or a failed TLS handshake.
 */
export interface NodeAuthenticationAccess {
  kind: 'node-authentication';
  transport: 'dimse';
  /** Our word for the refusal, e.g. `calling-ae-not-allowed`, `tls-handshake-failed`. */
  reason: string;
  /** Unknown when TLS failed before the association request. */
  callingAet?: string;
  calledAet?: string;
}

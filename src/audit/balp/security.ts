import type { AuditEvent } from '../types.js';
import type {
  AccessRecord,
  ConfigAccess,
  LoginAccess,
  NodeAuthenticationAccess,
  TokenAccess,
} from './access-record.js';
import { requestAgents } from './agents.js';
import {
  GET_ACCESS_TOKEN,
  LOGIN,
  LOGOUT,
  NODE_AUTHENTICATION,
  SECURITY_ALERT,
  SECURITY_CONFIGURATION,
  USER_AUTHENTICATION,
  entityType,
  local,
  objectRole,
} from './codes.js';
import type { Entity } from './entities.js';
import { auditEvent } from './event.js';
import { auditOutcome } from './outcome.js';

/** Token issuance (IHE IUA ITI-71 "Get Access Token"): the client, the token's jti and scope, never the token. */
export function tokenEvent(r: AccessRecord, a: TokenAccess): AuditEvent {
  const withClient: AccessRecord = r.principal?.clientId
    ? r
    : {
        ...r,
        principal: {
          kind: 'client',
          clientId: a.clientId,
          subject: a.clientId,
          scope: a.scope ?? '',
          roles: [],
          ...(a.jti ? { jti: a.jti } : {}),
        },
      };
  const detail = [
    ...(a.scope ? [{ type: 'scope', valueString: a.scope }] : []),
    ...(a.grantType ? [{ type: 'grant_type', valueString: a.grantType }] : []),
  ];
  const entity: Entity = {
    ...(a.jti ? { what: { identifier: { value: a.jti } } } : {}),
    type: entityType.systemObject,
    role: objectRole.securityResource,
    description: 'access token',
    ...(detail.length ? { detail } : {}),
  };
  const outcome = auditOutcome(r.outcome, r.outcomeDesc ?? a.reason);
  return auditEvent(withClient, {
    type: USER_AUTHENTICATION,
    subtype: [GET_ACCESS_TOKEN],
    action: 'E',
    entities: [entity],
    // A refused request is a failure whatever the HTTP status the edge chose.
    ...(!a.granted && outcome.outcome === '0'
      ? { outcome: { outcome: '4' as const, outcomeDesc: a.reason ?? 'refused' } }
      : { outcome }),
  });
}

/** A person's login or logout (DICOM User Authentication). */
export function loginEvent(r: AccessRecord, a: LoginAccess): AuditEvent {
  const principal = r.principal ?? {
    kind: 'user' as const,
    subject: a.userId,
    scope: '',
    roles: [],
    ...(a.clientId ? { clientId: a.clientId } : {}),
  };
  const withUser: AccessRecord = { ...r, principal };
  return auditEvent(withUser, {
    type: USER_AUTHENTICATION,
    subtype: [a.logout ? LOGOUT : LOGIN],
    action: 'E',
    entities: [],
    agents: requestAgents(withUser),
  });
}

const CONFIG_ACTION: Record<ConfigAccess['what'], 'C' | 'U' | 'D'> = {
  'client-registered': 'C',
  'client-removed': 'D',
  'client-updated': 'U',
  'user-added': 'C',
  'user-removed': 'D',
  'user-updated': 'U',
  'settings-changed': 'U',
};

/** A change of who may access what (DICOM Security Alert / Security Configuration). */
export function configEvent(r: AccessRecord, a: ConfigAccess): AuditEvent {
  const isUser = a.what.startsWith('user-');
  const entities: Entity[] = a.target
    ? [
        {
          what: { identifier: { value: a.target } },
          type: entityType.systemObject,
          role: isUser ? objectRole.securityUser : objectRole.securityResource,
          description: a.what,
        },
      ]
    : [];
  return auditEvent(r, {
    type: SECURITY_ALERT,
    subtype: [SECURITY_CONFIGURATION, local(a.what)],
    action: CONFIG_ACTION[a.what],
    entities,
  });
}

/**
 * A node refused (DICOM PS3.15 A.5.3.11 Security Alert, event type 110126 Node Authentication,
 * as IHE ATNA records a failed node authentication): the calling AE title and address as the
 * source, our called AE title on the server agent, why in outcomeDesc. Always a failure.
 */
export function nodeAuthenticationEvent(r: AccessRecord, a: NodeAuthenticationAccess): AuditEvent {
  const outcome = auditOutcome(r.outcome, r.outcomeDesc ?? a.reason);
  return auditEvent(r, {
    type: SECURITY_ALERT,
    subtype: [NODE_AUTHENTICATION, local(a.reason)],
    action: 'E',
    entities: [],
    agents: requestAgents(r, { callingAet: a.callingAet, calledAet: a.calledAet ?? r.server.aeTitle }),
    outcome: outcome.outcome === '0' ? { outcome: '4', outcomeDesc: r.outcomeDesc ?? a.reason } : outcome,
  });
}

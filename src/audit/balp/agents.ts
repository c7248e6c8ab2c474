import type { Principal } from '../../auth/principal.js';
import type { AccessRecord } from './access-record.js';
import {
  DESTINATION_ROLE,
  INFORMATION_RECIPIENT,
  LOCAL_AE_TITLE,
  LOCAL_ROLE,
  SOURCE_ROLE,
  SOURCE_TYPE,
  URI_SYSTEM,
} from './codes.js';

export type Agent = Record<string, unknown>;

const network = (address: string | undefined, type: '2' | '5') => (address ? { network: { address, type } } : {});
const policy = (p?: Principal) => (p?.jti ? { policy: [p.jti] } : {});

/**
 * BALP agents: the client application (Source Role ID: client_id, the token jti in policy, the
 * caller's IP), the user when a person is behind the token (requestor, roles, fhirUser), and the
 * server (Destination Role ID). A DIMSE peer appears as its calling AE title.
 */
export function requestAgents(r: AccessRecord, peer?: { callingAet?: string; calledAet?: string }): Agent[] {
  const p = r.principal;
  const user = p?.kind === 'user' && p.subject ? userAgent(p) : undefined;
  const client: Agent = {
    type: { coding: [SOURCE_ROLE] },
    ...clientWho(r, peer?.callingAet),
    requestor: !user,
    ...network(r.sourceIp, '2'),
    ...policy(p),
  };
  return [...(user ? [user] : []), client, serverAgent(r, peer?.calledAet)];
}

function clientWho(r: AccessRecord, callingAet?: string): Agent {
  const p = r.principal;
  if (p?.clientId)
    return { who: { identifier: { system: p.issuer ?? r.server.publicUrl, value: p.clientId } }, name: p.clientId };
  if (callingAet)
    return { who: { identifier: { system: LOCAL_AE_TITLE, value: callingAet } }, altId: callingAet, name: callingAet };
  if (p?.kind === 'anonymous') return { who: { display: 'anonymous (--auth none)' } };
  return { who: { display: r.actor ?? 'unauthenticated' } };
}

function userAgent(p: Principal): Agent {
  const identifier = { ...(p.issuer ? { system: p.issuer } : {}), value: p.subject };
  return {
    type: { coding: [INFORMATION_RECIPIENT] },
    ...(p.roles.length ? { role: p.roles.map((role) => ({ coding: [{ system: LOCAL_ROLE, code: role }] })) } : {}),
    who: p.fhirUser ? { reference: p.fhirUser, identifier } : { identifier },
    altId: p.subject,
    requestor: true,
    ...policy(p),
  };
}

export function serverAgent(r: AccessRecord, calledAet?: string): Agent {
  const aet = calledAet;
  return {
    type: { coding: [DESTINATION_ROLE] },
    who: { identifier: { system: URI_SYSTEM, value: r.server.publicUrl }, display: 'ImagingBridge' },
    ...(aet ? { altId: aet } : {}),
    requestor: false,
    ...network(r.server.publicUrl, '5'),
  };
}

/** The server observed and recorded the event. */
export function source(r: AccessRecord): Record<string, unknown> {
  return {
    observer: { identifier: { system: URI_SYSTEM, value: r.server.publicUrl }, display: 'ImagingBridge' },
    type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
  };
}

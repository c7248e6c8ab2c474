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
  frozen,
} from './codes.js';

export type Agent = Record<string, unknown>;

const SOURCE_ROLE_TYPE = frozen({ coding: [SOURCE_ROLE] });
const DESTINATION_ROLE_TYPE = frozen({ coding: [DESTINATION_ROLE] });
const INFORMATION_RECIPIENT_TYPE = frozen({ coding: [INFORMATION_RECIPIENT] });

/**
 * The parts that depend only on the server's public URL (configuration), built once per URL and
 * deep-frozen (their canonical text is then written once). A few URLs at most: tests open several
 * servers in one process; past the bound, they are built per record as before.
 */
const perServer = new Map<string, { source: Record<string, unknown>; agent: Agent }>();
const PER_SERVER_MAX = 16;

function serverParts(publicUrl: string): { source: Record<string, unknown>; agent: Agent } {
  let parts = perServer.get(publicUrl);
  if (!parts) {
    parts = frozen({
      source: {
        observer: { identifier: { system: URI_SYSTEM, value: publicUrl }, display: 'ImagingBridge' },
        type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
      },
      agent: buildServerAgent(publicUrl),
    });
    if (perServer.size < PER_SERVER_MAX) perServer.set(publicUrl, parts);
  }
  return parts;
}

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
    type: SOURCE_ROLE_TYPE,
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
    type: INFORMATION_RECIPIENT_TYPE,
    ...(p.roles.length ? { role: p.roles.map((role) => ({ coding: [{ system: LOCAL_ROLE, code: role }] })) } : {}),
    who: p.fhirUser ? { reference: p.fhirUser, identifier } : { identifier },
    altId: p.subject,
    requestor: true,
    ...policy(p),
  };
}

export function serverAgent(r: AccessRecord, calledAet?: string): Agent {
  return calledAet ? buildServerAgent(r.server.publicUrl, calledAet) : serverParts(r.server.publicUrl).agent;
}

function buildServerAgent(publicUrl: string, calledAet?: string): Agent {
  return {
    type: DESTINATION_ROLE_TYPE,
    who: { identifier: { system: URI_SYSTEM, value: publicUrl }, display: 'ImagingBridge' },
    ...(calledAet ? { altId: calledAet } : {}),
    requestor: false,
    ...network(publicUrl, '5'),
  };
}

/** The server observed and recorded the event. */
export function source(r: AccessRecord): Record<string, unknown> {
  return serverParts(r.server.publicUrl).source;
}

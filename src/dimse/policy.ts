/**
 * Association policy (PS3.8 7.1.1, Table 9-21): who may associate, and which presentation
 * contexts we accept. Pure: the SCP adapter applies the decisions.
 */
import { isLoopback } from '../core/loopback.js';
import type { RejectReason } from './audit.js';
import type { DimseSettings } from './settings.js';
import { NATIVE_SYNTAXES, QUERY_RETRIEVE, STORABLE_SYNTAXES, VERIFICATION, isStorageSopClass } from './sop-classes.js';
import { own } from '../core/own.js';

export interface AssociationRequest {
  calledAe: string;
  callingAe: string;
  remoteAddress: string;
  /** Associations open now, this one excluded. */
  active: number;
}

/** A-ASSOCIATE-RJ fields: result 1 permanent / 2 transient; source 1 user, 3 presentation provider. */
export type AssociationDecision =
  | { accept: true }
  | {
      accept: false;
      result: 1 | 2;
      source: 1 | 2 | 3;
      reason: number;
      why: string;
      code: Exclude<RejectReason, 'tls-handshake-failed'>;
    };

export const REJECT = {
  callingAeNotRecognized: { result: 1, source: 1, reason: 3, code: 'calling-ae-not-allowed' },
  calledAeNotRecognized: { result: 1, source: 1, reason: 7, code: 'called-ae-not-recognized' },
  localLimitExceeded: { result: 2, source: 3, reason: 2, code: 'local-limit-exceeded' },
} as const;

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function decideAssociation(
  req: AssociationRequest,
  s: Pick<DimseSettings, 'aeTitle' | 'allow' | 'maxAssociations'>,
): AssociationDecision {
  const called = req.calledAe.trim();
  const calling = req.callingAe.trim();
  const address = normalizeAddress(req.remoteAddress);
  if (called !== s.aeTitle) {
    return {
      accept: false,
      ...REJECT.calledAeNotRecognized,
      why: `called AE title "${called}" is not ours (${s.aeTitle})`,
    };
  }
  const allowed = s.allow
    ? s.allow.some((r) => (r.aet === '*' || r.aet === calling) && r.hosts.some((h) => normalizeAddress(h) === address))
    : isLoopback(address);
  if (!allowed) {
    return {
      accept: false,
      ...REJECT.callingAeNotRecognized,
      why: `calling AE "${calling}" from ${address} is not in the allow list`,
    };
  }
  if (req.active >= s.maxAssociations) {
    return {
      accept: false,
      ...REJECT.localLimitExceeded,
      why: `${req.active} associations already open (limit ${s.maxAssociations})`,
    };
  }
  return { accept: true };
}

/** PS3.8 Table 9-18 results. */
export type ContextDecision = { accept: true; transferSyntax: string } | { accept: false; result: 3 | 4 };

/**
 * The abstract syntaxes we serve, and for each the first proposed transfer syntax we can
 * take (the requestor lists its preference first, as pynetdicom and DCMTK assume).
 */
export function decideContext(abstractSyntax: string, proposed: readonly string[]): ContextDecision {
  const usable = syntaxesFor(abstractSyntax);
  if (!usable) return { accept: false, result: 3 };
  const ts = proposed.find((t) => usable.has(t));
  return ts ? { accept: true, transferSyntax: ts } : { accept: false, result: 4 };
}

const NATIVE = new Set(NATIVE_SYNTAXES);

function syntaxesFor(abstractSyntax: string): ReadonlySet<string> | undefined {
  if (abstractSyntax === VERIFICATION || own(QUERY_RETRIEVE, abstractSyntax)) return NATIVE;
  if (isStorageSopClass(abstractSyntax)) return STORABLE_SYNTAXES;
  return undefined;
}

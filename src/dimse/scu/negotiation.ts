/**
 * A-ASSOCIATE-RQ once connected, and the outcome: accepted, or the first failure (rejection,
 * network error, connection closed). The first failure is remembered after acceptance too,
 * so a request cut short can say why the association went away.
 */
import type { Association } from '../dcmjs-dimse.js';
import type { Peer } from '../settings.js';
import type { Connection } from './connect.js';
import { ScuError } from './scu-error.js';

export interface Negotiation {
  /** Resolves once the peer accepted; rejects (ScuError) otherwise, with the socket destroyed. */
  accepted: Promise<void>;
  /** Settles when the connection is gone. */
  closed: Promise<void>;
  /** The first thing that went wrong, if anything did. */
  failure(): string | undefined;
}

export function negotiate(
  { socket, network }: Connection,
  assoc: Association,
  { peer, calledAe }: { peer: Peer; calledAe: string },
): Negotiation {
  const closed = new Promise<void>((resolve) => network.on('close', () => resolve()));
  let failure: string | undefined;
  const accepted = new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      failure ??= why;
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new ScuError(why));
    };
    network.on('connect', () => network.sendAssociationRequest(assoc));
    network.on('associationRejected', (r: { result: number; source: number; reason: number }) =>
      fail(`association rejected by ${calledAe} (result ${r.result}, source ${r.source}, reason ${r.reason})`),
    );
    network.on('networkError', (e: Error) => fail(`${calledAe} at ${peer.host}:${peer.port}: ${e.message}`));
    network.on('close', () => fail(`${calledAe} closed the connection`));
    network.on('associationAccepted', () => {
      settled = true;
      resolve();
    });
  });
  return { accepted, closed, failure: () => failure };
}

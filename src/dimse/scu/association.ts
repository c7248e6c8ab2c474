/**
 * One association we request from a remote AE — a PACS we query and retrieve from (cFind,
 * cGet, cMove) or the destination of a C-MOVE our SCP serves (its C-STORE sub-operations).
 * Over a socket we open (connect.ts), proposing the given contexts (association-request.ts);
 * C-STOREs the peer sends back (C-GET) stream into `store` (store-receiver.ts).
 */
import { isFinalStatus } from '../../core/dicom-status.js';
import { constants, type Request, type Response } from '../dcmjs-dimse.js';
import { acceptedSyntaxes } from '../presentation-contexts.js';
import type { Peer, TlsSettings } from '../settings.js';
import type { DimseResult } from '../status.js';
import type { StorePort } from '../store-handler.js';
import { associationRequest, type ProposedContext } from './association-request.js';
import { connect, type Connection } from './connect.js';
import { negotiate, type Negotiation } from './negotiation.js';
import { ScuError } from './scu-error.js';
import { receiveStores, type ReceivedStores } from './store-receiver.js';

export { ScuError } from './scu-error.js';
export type { ProposedContext } from './association-request.js';

export interface AssociationOptions {
  callingAe: string;
  calledAe: string;
  contexts: ProposedContext[];
  maxPduLength: number;
  /** Connect timeout, socket inactivity limit and how long a release may take. */
  timeoutMs: number;
  tls?: TlsSettings;
  /** Where C-STORE sub-operations on this association go (C-GET); without it they are refused. */
  store?: StorePort;
}

export interface ScuAssociation {
  /** Sends one request; resolves with every response to it, the final one last. */
  request(request: Request): Promise<Response[]>;
  /** Sends one request without following its responses (the caller listens on it). */
  send(request: Request): void;
  /** Transfer syntaxes the peer accepted for `abstractSyntax`. */
  accepted(abstractSyntax: string): string[];
  /** Results of the C-STORE sub-operations received so far. */
  readonly stores: DimseResult[];
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
  release(): Promise<void>;
  abort(): void;
}

export async function openAssociation(peer: Peer, o: AssociationOptions): Promise<ScuAssociation> {
  const connection = connect(peer, o);
  const assoc = associationRequest(o);
  const stores = receiveStores(connection, o);
  const negotiation = negotiate(connection, assoc, { peer, calledAe: o.calledAe });
  await negotiation.accepted;
  const { socket, network } = connection;
  return {
    stores: stores.results,
    closed: negotiation.closed,
    request: (request) => {
      if (!assoc.getAcceptedPresentationContextFromRequest(request)) {
        const sopClass = String(request.getAffectedSopClassUid());
        return Promise.reject(new ScuError(`${o.calledAe} accepted no presentation context for ${sopClass}`));
      }
      return exchange(connection, request, negotiation, stores, o.calledAe);
    },
    send: (request) => network.sendRequests(request),
    accepted: (abstractSyntax) => acceptedSyntaxes(assoc, abstractSyntax),
    release: async () => {
      if (socket.destroyed) return;
      network.on('associationReleaseResponse', () => socket.end());
      network.sendAssociationReleaseRequest();
      const timer = setTimeout(() => socket.destroy(), o.timeoutMs);
      timer.unref();
      await negotiation.closed;
      clearTimeout(timer);
    },
    abort: () => {
      try {
        network.sendAbort(constants.AbortSource.ServiceUser, constants.AbortReason.NotSpecified);
      } catch {
        // already gone
      }
      socket.destroy();
    },
  };
}

/** Sends `request`; resolves with its responses once the final one came and the stores it caused are done. */
function exchange(
  { network }: Connection,
  request: Request,
  negotiation: Negotiation,
  stores: ReceivedStores,
  calledAe: string,
): Promise<Response[]> {
  return new Promise<Response[]>((resolve, reject) => {
    const all: Response[] = [];
    request.on('response', (rsp: Response) => {
      all.push(rsp);
      // Stores still being written finish before the final answer counts.
      if (isFinalStatus(rsp.getStatus())) void Promise.all(stores.inProgress()).then(() => resolve(all));
    });
    void negotiation.closed.then(() =>
      reject(new ScuError(negotiation.failure() ?? `${calledAe} closed the association before the final response`)),
    );
    network.sendRequests(request);
  });
}

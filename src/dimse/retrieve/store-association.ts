/**
 * Our SCU side for C-MOVE sub-operations: one association to the move destination over a
 * socket we open (TCP_NODELAY, optional TLS), proposing one context per SOP class and stored
 * syntax, released when done.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../dicom/index.js';
import { Network, association as dimseAssociation, constants, type Association, type Request } from '../dcmjs-dimse.js';
import type { Peer, TlsSettings } from '../settings.js';

export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface StoreAssociation {
  /** Accepted transfer syntaxes per abstract syntax. */
  accepted(abstractSyntax: string): string[];
  send(request: Request): void;
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
  release(): Promise<void>;
}

export interface OpenOptions {
  callingAe: string;
  calledAe: string;
  contexts: ProposedContext[];
  tls?: TlsSettings;
  maxPduLength: number;
  timeoutMs: number;
}

const NEVER = 0x7fffffff;

export function openStoreAssociation(peer: Peer, o: OpenOptions): Promise<StoreAssociation> {
  const socket = peer.tls
    ? tlsConnect({
        host: peer.host,
        port: peer.port,
        cert: o.tls?.cert,
        key: o.tls?.key,
        ca: o.tls?.ca,
        checkServerIdentity: () => undefined,
      })
    : netConnect({ host: peer.host, port: peer.port });
  socket.setNoDelay(true);
  socket.on('error', () => undefined); // surfaced as networkError / close below
  const network = new Network(socket, { connectTimeout: o.timeoutMs, associationTimeout: NEVER, pduTimeout: NEVER });
  const assoc: Association = new dimseAssociation.Association(o.callingAe, o.calledAe);
  assoc.setMaxPduLength(o.maxPduLength);
  assoc.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
  assoc.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
  for (const c of o.contexts.slice(0, 128)) {
    const id = assoc.addPresentationContext(c.abstractSyntax);
    for (const ts of c.transferSyntaxes) assoc.addTransferSyntaxToPresentationContext(id, ts);
  }
  const closed = new Promise<void>((resolve) => network.on('close', () => resolve()));
  return new Promise<StoreAssociation>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(why));
    };
    network.on('connect', () => network.sendAssociationRequest(assoc));
    network.on('associationRejected', (r: { result: number; source: number; reason: number }) =>
      fail(`association rejected by ${o.calledAe} (result ${r.result}, source ${r.source}, reason ${r.reason})`),
    );
    network.on('networkError', (e: Error) => fail(`${o.calledAe} at ${peer.host}:${peer.port}: ${e.message}`));
    network.on('close', () => fail(`${o.calledAe} closed the connection`));
    network.on('associationAccepted', () => {
      settled = true;
      resolve({
        accepted: (abstractSyntax) =>
          assoc
            .getPresentationContexts()
            .map(({ context }) => context)
            .filter(
              (c) =>
                c.getAbstractSyntaxUid() === abstractSyntax &&
                c.getResult() === constants.PresentationContextResult.Accept,
            )
            .map((c) => c.getAcceptedTransferSyntaxUid())
            .filter((ts): ts is string => typeof ts === 'string'),
        send: (request) => network.sendRequests(request),
        closed,
        release: async () => {
          network.on('associationReleaseResponse', () => socket.end());
          network.sendAssociationReleaseRequest();
          const timer = setTimeout(() => socket.destroy(), o.timeoutMs);
          timer.unref();
          await closed;
          clearTimeout(timer);
        },
      });
    });
  });
}

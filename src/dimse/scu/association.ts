/**
 * Our SCU side toward a remote PACS: one association over a socket we open (TCP_NODELAY,
 * optional TLS), proposing query/retrieve contexts and — for C-GET — storage contexts on
 * which we take the SCP role (PS3.7 D.3.3.4). Data sets the peer sends back with C-STORE
 * stream into the archive through the single ingest path (storeInstance), like our SCP's.
 */
import { Writable } from 'node:stream';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../dicom/index.js';
import { ChunkQueue } from '../chunk-queue.js';
import {
  Dataset,
  Network,
  association as dimseAssociation,
  constants,
  responses,
  type Association,
  type CStoreRequest,
  type PresentationContext,
  type Request,
  type Response,
} from '../dcmjs-dimse.js';
import { fillResponse } from '../messages.js';
import type { Peer, TlsSettings } from '../settings.js';
import type { DimseResult } from '../status.js';
import { DicomStatus, isFinalStatus } from '../../core/dicom-status.js';
import { storeInstance, type StorePort } from '../store-handler.js';

export interface ScuContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
  /** We act as the storage SCP on this context (C-GET sub-operations). */
  scpRole?: boolean;
}

export interface ScuOptions {
  callingAe: string;
  calledAe: string;
  contexts: ScuContext[];
  maxPduLength: number;
  /** Connect timeout and socket inactivity limit. */
  timeoutMs: number;
  tls?: TlsSettings;
  /** Where C-STORE sub-operations on this association go (C-GET). */
  store?: StorePort;
}

export interface ScuAssociation {
  /** Sends one request; resolves with every response to it, the final one last. */
  request(request: Request): Promise<Response[]>;
  /** Results of the C-STORE sub-operations received so far. */
  readonly stores: DimseResult[];
  release(): Promise<void>;
  abort(): void;
}

const NEVER = 0x7fffffff;

export class ScuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScuError';
  }
}

type NetworkInstance = InstanceType<typeof Network> & {
  createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable;
  createDatasetFromStoreWritableStream(w: Writable, context: PresentationContext, cb: (d: Dataset) => void): void;
};

export function openScuAssociation(peer: Peer, o: ScuOptions): Promise<ScuAssociation> {
  const socket: Socket = peer.tls
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
  const network = new Network(socket, {
    connectTimeout: o.timeoutMs,
    associationTimeout: NEVER,
    pduTimeout: NEVER,
  }) as NetworkInstance;
  const assoc: Association = new dimseAssociation.Association(o.callingAe, o.calledAe);
  assoc.setMaxPduLength(o.maxPduLength);
  assoc.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
  assoc.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
  for (const c of o.contexts.slice(0, 128)) {
    const id = assoc.addPresentationContext(c.abstractSyntax);
    for (const ts of c.transferSyntaxes) assoc.addTransferSyntaxToPresentationContext(id, ts);
    if (c.scpRole) {
      const pc = assoc.getPresentationContext(id);
      pc.setUserRole(false);
      pc.setProviderRole(true);
    }
  }

  const stores: DimseResult[] = [];
  const pendingStores = new Map<CStoreRequest, Promise<DimseResult>>();
  network.createStoreWritableStream = (context, request) => {
    const queue = new ChunkQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
    const result = o.store
      ? storeInstance(
          {
            sopClassUid: String(request.getAffectedSopClassUid() ?? '').trim(),
            sopInstanceUid: String(request.getAffectedSopInstanceUid() ?? '').trim(),
            abstractSyntax: context.getAbstractSyntaxUid(),
            transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
            callingAe: o.calledAe,
          },
          queue,
          o.store,
        ).finally(() => queue.abandon())
      : Promise.resolve({ status: DicomStatus.UnableToProcess, comment: 'no C-STORE expected on this association' });
    if (!o.store) queue.abandon();
    pendingStores.set(request, result);
    // write() never reports back-pressure: the library awaits 'drain' only once (see association-scp.ts).
    return new Writable({
      highWaterMark: Number.MAX_SAFE_INTEGER,
      write: (chunk: Buffer, _enc, done) => {
        queue.push(chunk);
        done();
      },
      final: (done) => {
        queue.end();
        done();
      },
    });
  };
  network.createDatasetFromStoreWritableStream = (_w, context, cb) =>
    cb(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
  network.on('cStoreRequest', (request: CStoreRequest, callback: (r: Response) => void) => {
    const result =
      pendingStores.get(request) ??
      Promise.resolve({ status: DicomStatus.UnableToProcess, comment: 'C-STORE-RQ without a data set' });
    pendingStores.delete(request);
    void result.then((r) => {
      stores.push(r);
      const rsp = fillResponse(new responses.CStoreResponse(r.status, ''), request, r);
      rsp.setAffectedSopInstanceUid(request.getAffectedSopInstanceUid());
      callback(rsp);
    });
  });

  const closed = new Promise<void>((resolve) => network.on('close', () => resolve()));
  return new Promise<ScuAssociation>((resolve, reject) => {
    let settled = false;
    let failure: string | undefined;
    const fail = (why: string) => {
      failure ??= why;
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new ScuError(why));
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
        stores,
        request: (request) => {
          const accepted = assoc.getAcceptedPresentationContextFromRequest(request);
          if (!accepted) {
            return Promise.reject(
              new ScuError(
                `${o.calledAe} accepted no presentation context for ${String(request.getAffectedSopClassUid())}`,
              ),
            );
          }
          return new Promise<Response[]>((res, rej) => {
            const all: Response[] = [];
            request.on('response', (rsp: Response) => {
              all.push(rsp);
              const status = rsp.getStatus();
              if (isFinalStatus(status)) {
                // Stores still being written finish before the final answer counts.
                void Promise.all(pendingStores.values()).then(() => res(all));
              }
            });
            void closed.then(() =>
              rej(new ScuError(failure ?? `${o.calledAe} closed the association before the final response`)),
            );
            network.sendRequests(request);
          });
        },
        release: async () => {
          if (socket.destroyed) return;
          network.on('associationReleaseResponse', () => socket.end());
          network.sendAssociationReleaseRequest();
          const timer = setTimeout(() => socket.destroy(), o.timeoutMs);
          timer.unref();
          await closed;
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
      });
    });
  });
}

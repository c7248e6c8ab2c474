/**
 * One accepted connection: the library's Scp bound to our policy and handlers. A thin
 * adapter — decisions live in policy.ts, the services in store-handler.ts, find/ and
 * retrieve/. Every handler answers with a status; nothing a peer sends ends the process.
 */
import type { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/index.js';
import type { ChunkQueue } from './chunk-queue.js';
import {
  Implementation,
  Scp,
  constants,
  responses,
  type Association,
  type CFindRequest,
  type CGetRequest,
  type CMoveRequest,
  type CStoreRequest,
  type Dataset,
  type PresentationContext,
  type Request,
} from './dcmjs-dimse.js';
import { tapIncomingPdus } from './incoming-pdus.js';
import { PDataRouter } from './p-data-router.js';
import { PduGuard } from './pdu-guard.js';
import { decideAssociation, decideContext, normalizeAddress } from './policy.js';
import { acceptedSyntaxes } from './presentation-contexts.js';
import type { Exchange } from './exchange.js';
import type { ScpAssociation, ScpServices } from './scp-services.js';
import { fillResponse, storeResponse } from './messages.js';
import type { StoreRequestInfo } from './store-handler.js';
import type { DimseResult } from './status.js';
import { DicomStatus, statusHex as hex } from '../core/dicom-status.js';
import { storeResponsePdu, type CommandSummary } from './store-fast-path.js';
import {
  affectedUids,
  emptyDataset,
  LibraryStores,
  receiveDataSet,
  storeRequestInfo,
  type IncomingDataSet,
} from './store-stream.js';

/** Library fields we rely on that its typings leave out. */
interface NetworkInternals {
  association?: Association;
}

const NEVER = 0x7fffffff;

export class AssociationScp extends Scp implements ScpAssociation {
  /** C-STOREs the library receives; the fast path takes the others (pData). */
  private readonly stores = new LibraryStores((context, request) => {
    const incoming = this.beginStore(storeRequestInfo(context, affectedUids(request), this.callingAe));
    this.track(incoming.result);
    return incoming;
  });
  private readonly pData = new PDataRouter({
    startStore: (contextId, command) => this.startFastStore(contextId, command),
    violation: (why) => this.terminate(`protocol error: ${why}`, true),
  });
  /** Back-pressure on the peer while a data set waits for the archive (chunk-queue.ts). */
  private readonly flow = { pause: () => this.socket.pause(), resume: () => this.socket.resume() };
  private readonly cancelled = new Set<number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closedSignal!: () => void;
  private readonly closedPromise = new Promise<void>((resolve) => (this.closedSignal = resolve));
  private artim: NodeJS.Timeout | undefined;
  private ended = false;
  callingAe = '';
  associated = false;

  constructor(
    readonly socket: Socket,
    private readonly services: ScpServices,
    private readonly log: Logger,
  ) {
    // The library's own timers: socket inactivity (→ 'timeout' → networkError) is our idle
    // timeout; its PDU/association timers are off (they fire during long C-MOVEs).
    super(socket, { connectTimeout: services.settings.idleTimeoutMs, associationTimeout: NEVER, pduTimeout: NEVER });
    tapIncomingPdus(socket, {
      guard: new PduGuard(services.settings.maxPduLength),
      take: (pdu) => pdu[0] === 0x04 && this.associated && !this.ended && this.pData.take(pdu),
      takeParts: (parts) => this.associated && !this.ended && this.pData.takeParts(parts),
      refuse: (why) => this.terminate(why, true),
      ended: () => this.ended,
    });
    this.artim = setTimeout(
      () => this.terminate('no A-ASSOCIATE-RQ in time (ARTIM)', false),
      services.settings.artimTimeoutMs,
    );
    this.artim.unref();
    this.on('networkError', (e: Error) => this.terminate(e.message, true));
    this.on('close', () => this.closed());
  }

  /** Settles once every handler started on this association has answered. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  acceptedForSubOperations(sopClassUid: string): string[] {
    const association = this.negotiated();
    return association ? acceptedSyntaxes(association, sopClassUid, { providerRole: true }) : [];
  }

  /** The association the library negotiated (its field), once an A-ASSOCIATE-RQ came. */
  private negotiated(): Association | undefined {
    return (this as unknown as NetworkInternals).association;
  }

  /** A-ABORT (when associated) and close; idempotent. */
  terminate(why: string, abort: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.log.info({ why }, 'association closed by us');
    clearTimeout(this.artim);
    if (abort && this.negotiated()) {
      try {
        this.sendAbort(constants.AbortSource.ServiceProvider, constants.AbortReason.NotSpecified);
      } catch {
        // the socket may already be gone
      }
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** A C-STORE-RQ on the fast path (p-data-router.ts): on an accepted context, stored and answered in one PDU. */
  private startFastStore(contextId: number, command: CommandSummary): ChunkQueue | undefined {
    const context = this.negotiated()
      ?.getPresentationContexts()
      .find((p) => p.id === contextId)?.context;
    if (!context || context.getResult() !== constants.PresentationContextResult.Accept) return undefined;
    const affected = { sopClassUid: command.affectedSopClassUid, sopInstanceUid: command.affectedSopInstanceUid };
    const { queue, result } = this.beginStore(storeRequestInfo(context, affected, this.callingAe));
    this.track(
      result.then((r) => {
        this.logStoreFailure(r);
        if (!this.ended && !this.socket.destroyed) this.socket.write(storeResponsePdu(contextId, command, r));
      }),
    );
    return queue;
  }

  override associationRequested(association: Association): void {
    clearTimeout(this.artim);
    this.callingAe = association.getCallingAeTitle().trim();
    const decision = decideAssociation(
      {
        calledAe: association.getCalledAeTitle(),
        callingAe: this.callingAe,
        remoteAddress: normalizeAddress(this.socket.remoteAddress ?? ''),
        active: this.services.activeAssociations(this),
      },
      this.services.settings,
    );
    if (!decision.accept) {
      this.log.warn({ callingAe: this.callingAe, why: decision.why }, 'association rejected');
      this.services.rejected({
        service: 'association',
        reason: decision.code,
        why: decision.why,
        remoteAddress: normalizeAddress(this.socket.remoteAddress ?? ''),
        callingAet: this.callingAe,
        calledAet: association.getCalledAeTitle().trim(),
      });
      this.sendAssociationReject(decision.result, decision.source, decision.reason);
      this.ended = true;
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    for (const { context } of association.getPresentationContexts()) {
      const d = decideContext(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids());
      if (d.accept) context.setResult(constants.PresentationContextResult.Accept, d.transferSyntax);
      else context.setResult(d.result);
    }
    association.setNegotiateAsyncOps(false);
    // The library announces min(theirs, its global max); we announce ours, then send within theirs.
    const theirMax = association.getMaxPduLength();
    association.setMaxPduLength(this.services.settings.maxPduLength);
    Implementation.setMaxPduLength(this.services.settings.maxPduLength);
    Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
    Implementation.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
    this.sendAssociationAccept();
    this.associated = true;
    association.setMaxPduLength(theirMax);
    this.log.info({ callingAe: this.callingAe }, 'association accepted');
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.ended = true;
    // The requestor closes the connection; ARTIM if it does not.
    setTimeout(() => this.socket.destroy(), this.services.settings.artimTimeoutMs).unref();
  }

  override abort(): void {
    this.ended = true;
    this.socket.destroy();
  }

  override cEchoRequest(request: Request, callback: (r: InstanceType<typeof responses.CEchoResponse>) => void): void {
    callback(
      fillResponse(new responses.CEchoResponse(DicomStatus.Success, ''), request, { status: DicomStatus.Success }),
    );
  }

  /** The data set of one C-STORE streams into the archive while it arrives (store-stream.ts). */
  private beginStore(info: StoreRequestInfo): IncomingDataSet {
    return receiveDataSet(info, this.services.archive, this.flow);
  }

  override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
    return this.stores.writable(context, request);
  }

  override createDatasetFromStoreWritableStream(
    _w: Writable,
    context: PresentationContext,
    callback: (d: Dataset) => void,
  ): void {
    callback(emptyDataset(context));
  }

  override cStoreRequest(
    request: CStoreRequest,
    callback: (r: InstanceType<typeof responses.CStoreResponse>) => void,
  ): void {
    this.track(
      this.stores.take(request).then((r) => {
        this.logStoreFailure(r);
        callback(storeResponse(request, r));
      }),
    );
  }

  private logStoreFailure(r: DimseResult): void {
    if (r.status !== DicomStatus.Success)
      this.log.warn({ callingAe: this.callingAe, status: hex(r.status), comment: r.comment }, 'C-STORE failed');
  }

  override cFindRequest(request: CFindRequest): void {
    this.track(this.services.find(this.exchange(request)));
  }

  override cMoveRequest(request: CMoveRequest): void {
    this.track(
      this.services.move(
        this.exchange(request),
        String(request.getCommandDataset().getElement('MoveDestination') ?? '').trim(),
      ),
    );
  }

  override cGetRequest(request: CGetRequest): void {
    this.track(this.services.get(this.exchange(request), this));
  }

  override cCancelRequest(request: Request): void {
    const id = request.getCommandDataset().getElement('MessageIDBeingRespondedTo');
    if (typeof id === 'number') this.cancelled.add(id);
  }

  /** What a query/retrieve handler needs of one request, without the library types. */
  private exchange(request: Request): Exchange {
    const dataset = request.getDataset();
    return {
      request,
      callingAe: this.callingAe,
      sopClassUid: String(request.getAffectedSopClassUid() ?? ''),
      transferSyntaxUid: dataset?.getTransferSyntaxUid() ?? '',
      identifier: (dataset?.getElements() ?? {}) as Record<string, unknown>,
      // A C-CANCEL, or the requestor is gone: either way nobody waits for more.
      cancelled: () => this.socket.destroyed || this.cancelled.has(request.getMessageId()),
      send: (rsp) => {
        if (!this.ended) this.sendResponse(request, rsp);
      },
      disclose: () => Promise.resolve(), // unaudited; auditedHandler (audit.ts) records here
      flushed: () => this.flushed(),
      log: this.log,
    };
  }

  /** Resolves when the socket's write buffer has drained (or the connection is gone). */
  flushed(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((e) => this.log.error({ err: e }, 'DIMSE handler failed'));
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }

  private closed(): void {
    this.ended = true;
    clearTimeout(this.artim);
    this.stores.fail(new Error('the association ended before the data set was complete'));
    this.pData.close(new Error('the association ended before the data set was complete'));
    this.cancelled.clear();
    this.services.released(this);
    this.closedSignal();
    this.log.debug('connection closed');
  }
}

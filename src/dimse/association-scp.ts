/**
 * One accepted connection: the library's Scp bound to our policy and handlers. A thin
 * adapter — decisions live in policy.ts, the services in store-handler.ts, find/ and
 * retrieve/. Every handler answers with a status; nothing a peer sends ends the process.
 */
import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/index.js';
import { ChunkQueue } from './chunk-queue.js';
import {
  Dataset,
  Implementation,
  Scp,
  constants,
  responses,
  type Association,
  type CFindRequest,
  type CGetRequest,
  type CMoveRequest,
  type CStoreRequest,
  type PresentationContext,
  type Request,
} from './dcmjs-dimse.js';
import { PduFramer, PduGuard } from './pdu-guard.js';
import { decideAssociation, decideContext, normalizeAddress } from './policy.js';
import type { Exchange, ScpServices } from './scp-services.js';
import { fillResponse } from './messages.js';
import type { DimseResult } from './status.js';
import { DicomStatus } from '../core/dicom-status.js';
import { storeInstance } from './store-handler.js';
import {
  isStoreRequest,
  readCommand,
  readPdvs,
  storeResponsePdu,
  type PresentationDataValue,
} from './store-fast-path.js';

/** Library fields we rely on that its typings leave out. */
interface NetworkInternals {
  association?: Association;
}

const NEVER = 0x7fffffff;

export class AssociationScp extends Scp {
  private readonly guard: PduGuard;
  private readonly stores = new Map<Request, { queue: ChunkQueue; result: Promise<DimseResult> }>();
  private readonly cancelled = new Set<number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closedSignal!: () => void;
  private readonly closedPromise = new Promise<void>((resolve) => (this.closedSignal = resolve));
  private artim: NodeJS.Timeout | undefined;
  private ended = false;
  /** A C-STORE taken on the fast path (store-fast-path.ts) whose data set is still arriving. */
  private fastStore: { queue: ChunkQueue; contextId: number } | undefined;
  /** A message the library is receiving: all its PDUs go to the library. */
  private libraryMessage: { command: Buffer[]; inDataSet: boolean } | undefined;
  callingAe = '';
  /** Set once we sent A-ASSOCIATE-AC: only those count against the association limit. */
  associated = false;

  constructor(
    readonly socket: Socket,
    private readonly services: ScpServices,
    private readonly log: Logger,
  ) {
    // The library's own timers: socket inactivity (→ 'timeout' → networkError) is our idle
    // timeout; its PDU/association timers are off (they fire during long C-MOVEs).
    super(socket, { connectTimeout: services.settings.idleTimeoutMs, associationTimeout: NEVER, pduTimeout: NEVER });
    this.guard = new PduGuard(services.settings.maxPduLength);
    this.guardIncomingBytes();
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

  /** Accepted syntaxes of storage contexts on which the requestor took the SCP role (C-GET). */
  acceptedForSubOperations(sopClassUid: string): string[] {
    const association = (this as unknown as NetworkInternals).association;
    if (!association) return [];
    return association
      .getPresentationContexts()
      .map(({ context }) => context)
      .filter(
        (c) => c.getAbstractSyntaxUid() === sopClassUid && c.getResult() === constants.PresentationContextResult.Accept,
      )
      .filter((c) => c.getProviderRole() === true)
      .map((c) => c.getAcceptedTransferSyntaxUid())
      .filter((ts): ts is string => typeof ts === 'string');
  }

  /** A-ABORT (when associated) and close; idempotent. */
  terminate(why: string, abort: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.log.info({ why }, 'association closed by us');
    clearTimeout(this.artim);
    if (abort && (this as unknown as NetworkInternals).association) {
      try {
        this.sendAbort(constants.AbortSource.ServiceProvider, constants.AbortReason.NotSpecified);
      } catch {
        // the socket may already be gone
      }
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /**
   * Bad bytes never reach the library: we check PDU headers first (pdu-guard.ts), then hand
   * it whole PDUs (PduFramer), which spares its per-chunk reassembly copies.
   */
  private guardIncomingBytes(): void {
    const theirs = this.socket.listeners('data') as ((chunk: Buffer) => void)[];
    this.socket.removeAllListeners('data');
    const framer = new PduFramer();
    const deliver = (pdu: Buffer) => {
      if (pdu[0] === 0x04 && this.takePData(pdu)) return;
      for (const listener of theirs) listener.call(this.socket, pdu);
    };
    this.socket.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      const problem = this.guard.check(chunk);
      if (problem) {
        this.terminate(`protocol error: ${problem}`, true);
        return;
      }
      framer.push(chunk, deliver);
    });
  }

  /**
   * P-DATA-TF: a C-STORE-RQ whose command is whole in its first PDV is taken on the fast
   * path (its data set streams to the archive, its response is one PDU we write); anything
   * else goes to the library, whose messages we follow so as never to cut into one.
   */
  private takePData(pdu: Buffer): boolean {
    if (!this.associated || this.ended) return false;
    const pdvs = readPdvs(pdu);
    if (!pdvs) return false; // the library answers malformed PDUs
    if (this.fastStore) {
      this.continueFastStore(pdvs);
      return true;
    }
    if (!this.libraryMessage && this.startFastStore(pdvs)) return true;
    this.followLibraryMessage(pdvs);
    return false;
  }

  private startFastStore(pdvs: PresentationDataValue[]): boolean {
    const [first, ...rest] = pdvs;
    if (!first?.command || !first.last) return false;
    const command = readCommand(first.data);
    if (!isStoreRequest(command) || rest.some((p) => p.command || p.contextId !== first.contextId)) return false;
    const context = (this as unknown as NetworkInternals).association
      ?.getPresentationContexts()
      .find((p) => p.id === first.contextId)?.context;
    if (!context || context.getResult() !== constants.PresentationContextResult.Accept) return false;
    const { queue, result } = this.beginStore(context, command.affectedSopClassUid, command.affectedSopInstanceUid);
    this.fastStore = { queue, contextId: first.contextId };
    this.track(
      result.then((r) => {
        if (r.status !== DicomStatus.Success)
          this.log.warn({ callingAe: this.callingAe, status: hex(r.status), comment: r.comment }, 'C-STORE failed');
        if (!this.ended && !this.socket.destroyed) this.socket.write(storeResponsePdu(first.contextId, command, r));
      }),
    );
    this.continueFastStore(rest);
    return true;
  }

  private continueFastStore(pdvs: PresentationDataValue[]): void {
    const store = this.fastStore!;
    for (const p of pdvs) {
      if (p.command || p.contextId !== store.contextId) {
        this.fastStore = undefined;
        store.queue.fail(new Error('a new message began before the data set was complete'));
        this.terminate('protocol error: a new message began before the C-STORE data set was complete', true);
        return;
      }
      store.queue.push(p.data);
      if (p.last) {
        store.queue.end();
        this.fastStore = undefined;
        return;
      }
    }
  }

  /** Where the library's current message ends: after a command without data set, or the last data fragment. */
  private followLibraryMessage(pdvs: PresentationDataValue[]): void {
    for (const p of pdvs) {
      const m = (this.libraryMessage ??= { command: [], inDataSet: false });
      if (p.command) {
        m.command.push(p.data);
        if (p.last && !readCommand(Buffer.concat(m.command))?.hasDataSet) this.libraryMessage = undefined;
        else if (p.last) m.inDataSet = true;
      } else if (p.last) this.libraryMessage = undefined;
    }
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

  // C-STORE: the data set streams into the archive while its fragments arrive.
  /** The data set of one C-STORE streams through `queue` into the archive while it arrives. */
  private beginStore(
    context: PresentationContext,
    sopClassUid: string,
    sopInstanceUid: string,
  ): { queue: ChunkQueue; result: Promise<DimseResult> } {
    const queue = new ChunkQueue({ pause: () => this.socket.pause(), resume: () => this.socket.resume() });
    const request = {
      sopClassUid,
      sopInstanceUid,
      abstractSyntax: context.getAbstractSyntaxUid(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
      callingAe: this.callingAe,
    };
    const result = storeInstance(request, queue, this.services.archive).finally(() => queue.abandon());
    return { queue, result };
  }

  override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
    const { queue, result } = this.beginStore(
      context,
      String(request.getAffectedSopClassUid() ?? '').trim(),
      String(request.getAffectedSopInstanceUid() ?? '').trim(),
    );
    this.stores.set(request, { queue, result });
    this.track(result);
    return new Writable({
      // write() must never report back-pressure: the library awaits 'drain' only once.
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
  }

  override createDatasetFromStoreWritableStream(
    _w: Writable,
    context: PresentationContext,
    callback: (d: Dataset) => void,
  ): void {
    callback(new Dataset({}, context.getAcceptedTransferSyntaxUid())); // the bytes already went to the archive
  }

  override cStoreRequest(
    request: CStoreRequest,
    callback: (r: InstanceType<typeof responses.CStoreResponse>) => void,
  ): void {
    const pending = this.stores.get(request);
    this.stores.delete(request);
    const result = pending
      ? pending.result
      : Promise.resolve({ status: DicomStatus.UnableToProcess, comment: 'C-STORE-RQ without a data set' });
    this.track(
      result.then((r) => {
        if (r.status !== DicomStatus.Success)
          this.log.warn({ callingAe: this.callingAe, status: hex(r.status), comment: r.comment }, 'C-STORE failed');
        const rsp = fillResponse(new responses.CStoreResponse(r.status, ''), request, r);
        rsp.setAffectedSopInstanceUid(request.getAffectedSopInstanceUid());
        callback(rsp);
      }),
    );
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
    for (const { queue } of this.stores.values())
      queue.fail(new Error('the association ended before the data set was complete'));
    this.fastStore?.queue.fail(new Error('the association ended before the data set was complete'));
    this.fastStore = undefined;
    this.stores.clear();
    this.cancelled.clear();
    this.services.released(this);
    this.closedSignal();
    this.log.debug('connection closed');
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;

/**
 * The data set of a C-STORE-RQ we receive, streamed into the archive while its fragments
 * arrive — on both sides: our SCP (C-STORE, and the fast path of p-data-router.ts) and our
 * SCU (C-GET sub-operations). Fragments go through a ChunkQueue, which pauses the socket
 * above its high-water mark; the status is known once the archive has the instance.
 */
import { Writable } from 'node:stream';
import { DicomStatus } from '../core/dicom-status.js';
import { ChunkQueue, type Flow } from './chunk-queue.js';
import { Dataset, type CStoreRequest, type PresentationContext } from './dcmjs-dimse.js';
import type { DimseResult } from './status.js';
import { storeInstance, type StorePort, type StoreRequestInfo } from './store-handler.js';

/** One data set on its way to the archive. */
export interface IncomingDataSet {
  /** Where its fragments go (end() after the last, fail() when the association ends first). */
  queue: ChunkQueue;
  /** The C-STORE status, once the archive holds the instance or refused it. */
  result: Promise<DimseResult>;
}

/** Starts storing one data set; without an archive the store is refused and its fragments dropped. */
export function receiveDataSet(info: StoreRequestInfo, archive: StorePort | undefined, flow: Flow): IncomingDataSet {
  const queue = new ChunkQueue(flow);
  if (!archive) {
    queue.abandon();
    return {
      queue,
      result: Promise.resolve({
        status: DicomStatus.UnableToProcess,
        comment: 'no C-STORE expected on this association',
      }),
    };
  }
  return { queue, result: storeInstance(info, queue, archive).finally(() => queue.abandon()) };
}

/** What storeInstance needs to know of a C-STORE-RQ and the context it came on. */
export function storeRequestInfo(
  context: PresentationContext,
  affected: { sopClassUid: string; sopInstanceUid: string },
  callingAe: string,
): StoreRequestInfo {
  return {
    ...affected,
    abstractSyntax: context.getAbstractSyntaxUid(),
    transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
    callingAe,
  };
}

/** Affected SOP Class and Instance UID of a C-STORE-RQ the library decoded. */
export const affectedUids = (request: CStoreRequest): { sopClassUid: string; sopInstanceUid: string } => ({
  sopClassUid: String(request.getAffectedSopClassUid() ?? '').trim(),
  sopInstanceUid: String(request.getAffectedSopInstanceUid() ?? '').trim(),
});

/**
 * The C-STOREs the library receives (any that the fast path left to it): the stream it writes
 * each data set to, and the result its C-STORE-RQ is answered with. Plugs into its
 * createStoreWritableStream / createDatasetFromStoreWritableStream / cStoreRequest.
 */
export class LibraryStores {
  private readonly pending = new Map<CStoreRequest, IncomingDataSet>();

  constructor(private readonly begin: (context: PresentationContext, request: CStoreRequest) => IncomingDataSet) {}

  /** The library's createStoreWritableStream. */
  writable(context: PresentationContext, request: CStoreRequest): Writable {
    const incoming = this.begin(context, request);
    this.pending.set(request, incoming);
    const { queue } = incoming;
    return new Writable({
      // write() must never report back-pressure: the library awaits 'drain' only once.
      // The queue pauses the socket instead.
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

  /** The result to answer `request` with (its data set's, or a failure when it had none). */
  take(request: CStoreRequest): Promise<DimseResult> {
    const incoming = this.pending.get(request);
    this.pending.delete(request);
    return incoming
      ? incoming.result
      : Promise.resolve({ status: DicomStatus.UnableToProcess, comment: 'C-STORE-RQ without a data set' });
  }

  /** Results of data sets whose C-STORE-RQ has not been answered yet. */
  inProgress(): Promise<DimseResult>[] {
    return [...this.pending.values()].map((p) => p.result);
  }

  /** The association ended: data sets still arriving fail. */
  fail(error: Error): void {
    for (const { queue } of this.pending.values()) queue.fail(error);
    this.pending.clear();
  }
}

/** The library's createDatasetFromStoreWritableStream: the bytes already went to the archive. */
export const emptyDataset = (context: PresentationContext): Dataset =>
  new Dataset({}, context.getAcceptedTransferSyntaxUid());

/**
 * C-STORE-RQs the peer sends on an association we requested (C-GET sub-operations, on the
 * contexts where we took the SCP role): each data set streams into the archive through the
 * same path as our SCP's (store-stream.ts), the peer's AE title as its source.
 */
import type { CStoreRequest, Response } from '../dcmjs-dimse.js';
import { storeResponse } from '../messages.js';
import type { DimseResult } from '../status.js';
import type { StorePort } from '../store-handler.js';
import { affectedUids, emptyDataset, LibraryStores, receiveDataSet, storeRequestInfo } from '../store-stream.js';
import type { Connection } from './connect.js';

export interface ReceivedStores {
  /** Results of the C-STOREs answered so far. */
  readonly results: DimseResult[];
  /** Results of data sets still arriving or being stored. */
  inProgress(): Promise<DimseResult>[];
}

/** Without `store`, every C-STORE-RQ is refused (0xC000). */
export function receiveStores(
  { socket, network }: Connection,
  o: { store?: StorePort; calledAe: string },
): ReceivedStores {
  const results: DimseResult[] = [];
  const flow = { pause: () => socket.pause(), resume: () => socket.resume() };
  const stores = new LibraryStores((context, request) =>
    receiveDataSet(storeRequestInfo(context, affectedUids(request), o.calledAe), o.store, flow),
  );
  network.createStoreWritableStream = (context, request) => stores.writable(context, request);
  network.createDatasetFromStoreWritableStream = (_w, context, callback) => callback(emptyDataset(context));
  network.on('cStoreRequest', (request: CStoreRequest, callback: (r: Response) => void) => {
    void stores.take(request).then((r) => {
      results.push(r);
      callback(storeResponse(request, r));
    });
  });
  return { results, inProgress: () => stores.inProgress() };
}

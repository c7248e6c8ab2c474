import { describe, expect, it } from 'vitest';
import type { StoreContext } from '../archive/archive.js';
import { DicomStatus } from '../core/dicom-status.js';
import { association, constants, Dataset, requests } from './dcmjs-dimse.js';
import type { StorePort } from './store-handler.js';
import {
  affectedUids,
  emptyDataset,
  LibraryStores,
  receiveDataSet,
  storeRequestInfo,
  type IncomingDataSet,
} from './store-stream.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const noFlow = { pause: () => undefined, resume: () => undefined };

/** An archive that keeps what it was given (after the File Meta header storeInstance puts first). */
function archive(): StorePort & { stored: { tail: string; ctx: StoreContext }[] } {
  const stored: { tail: string; ctx: StoreContext }[] = [];
  return {
    stored,
    store: async (chunks, ctx) => {
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(c);
      stored.push({ tail: Buffer.concat(parts.slice(1)).toString(), ctx });
      return { kind: 'stored', record: { studyUid: '', seriesUid: '', sopUid: '', sopClassUid: '' } };
    },
  };
}

const context = () =>
  new association.PresentationContext(1, CT, EXPLICIT_LE, constants.PresentationContextResult.Accept);
const storeRq = (sop = '1.2.3') =>
  new requests.CStoreRequest(new Dataset({ SOPClassUID: CT, SOPInstanceUID: sop }, EXPLICIT_LE));

describe('C-STORE data streams (store-stream)', () => {
  it('describes a C-STORE-RQ by its affected UIDs and the context it came on', () => {
    expect(storeRequestInfo(context(), affectedUids(storeRq('1.2.3')), 'CT1')).toEqual({
      sopClassUid: CT,
      sopInstanceUid: '1.2.3',
      abstractSyntax: CT,
      transferSyntaxUid: EXPLICIT_LE,
      callingAe: 'CT1',
    });
    expect(emptyDataset(context()).getTransferSyntaxUid()).toBe(EXPLICIT_LE);
  });

  it('streams a data set into the archive and answers Success once it is stored', async () => {
    const a = archive();
    const incoming = receiveDataSet(storeRequestInfo(context(), affectedUids(storeRq()), 'CT1'), a, noFlow);
    incoming.queue.push(Buffer.from('DATA'));
    incoming.queue.push(Buffer.from('SET'));
    incoming.queue.end();
    expect(await incoming.result).toEqual({ status: DicomStatus.Success });
    expect(a.stored).toEqual([{ tail: 'DATASET', ctx: { source: 'CT1', fileMetaFrom: 'command' } }]);
  });

  it('refuses a C-STORE on an association that expects none, and drops its fragments', async () => {
    const incoming = receiveDataSet(storeRequestInfo(context(), affectedUids(storeRq()), 'PACS'), undefined, noFlow);
    incoming.queue.push(Buffer.from('ignored'));
    expect(await incoming.result).toEqual({
      status: DicomStatus.UnableToProcess,
      comment: 'no C-STORE expected on this association',
    });
  });

  it('gives the library a writable per C-STORE-RQ and the result to answer it with', async () => {
    const a = archive();
    const begun: IncomingDataSet[] = [];
    const stores = new LibraryStores((ctx, rq) => {
      const incoming = receiveDataSet(storeRequestInfo(ctx, affectedUids(rq), 'CT1'), a, noFlow);
      begun.push(incoming);
      return incoming;
    });
    const rq = storeRq();
    const w = stores.writable(context(), rq);
    // Never back-pressure: the library awaits 'drain' only once.
    expect(w.write(Buffer.alloc(1024 * 1024))).toBe(true);
    w.end(Buffer.from('!'));
    expect(stores.inProgress()).toHaveLength(1);
    expect(await stores.take(rq)).toEqual({ status: DicomStatus.Success });
    expect(stores.inProgress()).toEqual([]);
    expect(a.stored[0]!.tail.endsWith('!')).toBe(true);
    expect(await stores.take(storeRq('9.9'))).toEqual({
      status: DicomStatus.UnableToProcess,
      comment: 'C-STORE-RQ without a data set',
    });
  });

  it('fails the data sets still arriving when the association ends', async () => {
    const stores = new LibraryStores((ctx, rq) =>
      receiveDataSet(storeRequestInfo(ctx, affectedUids(rq), 'CT1'), archive(), noFlow),
    );
    const rq = storeRq();
    stores.writable(context(), rq).write(Buffer.from('part'));
    const result = stores.inProgress()[0]!;
    stores.fail(new Error('the association ended before the data set was complete'));
    expect(stores.inProgress()).toEqual([]);
    expect((await result).status).toBe(DicomStatus.StoreHandlerFailed);
  });
});

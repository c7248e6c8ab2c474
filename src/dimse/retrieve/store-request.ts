import type { StoredInstance } from '../../archive/types.js';
import { rawDataset, requests, type CStoreRequest, type Request } from '../dcmjs-dimse.js';

export interface MoveOriginator {
  aeTitle: string;
  messageId: number;
}

/** A C-STORE-RQ carrying our bytes; for C-MOVE it names the originator (PS3.7 9.3.1.1). */
export function storeRequest(
  instance: StoredInstance,
  bytes: Buffer,
  syntax: string,
  originator?: MoveOriginator,
): CStoreRequest {
  const dataset = rawDataset(bytes, syntax, { SOPClassUID: instance.sopClassUid, SOPInstanceUID: instance.sopUid });
  const request = new requests.CStoreRequest(dataset);
  if (originator) {
    const command = request.getCommandDataset();
    command.setElement('MoveOriginatorApplicationEntityTitle', originator.aeTitle);
    command.setElement('MoveOriginatorMessageID', originator.messageId as unknown as string); // typed as string, written as US
  }
  return request;
}

/** Resolves with the status of the C-STORE-RSP to `request`; rejects when `gone` settles first. */
export function responseStatus(request: Request, gone: Promise<void>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    request.on('response', (rsp: { getStatus(): number }) => resolve(rsp.getStatus()));
    gone.then(() => reject(new Error('the association ended before the C-STORE response')));
  });
}

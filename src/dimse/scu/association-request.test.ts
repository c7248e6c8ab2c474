import { describe, expect, it } from 'vitest';
import { IMPLEMENTATION_CLASS_UID } from '../../dicom/index.js';
import { associationRequest } from './association-request.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const LE = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];

describe('associationRequest (the A-ASSOCIATE-RQ we send)', () => {
  it('names both AEs, our implementation and max PDU length, and proposes each context with its syntaxes', () => {
    const rq = associationRequest({
      callingAe: 'US',
      calledAe: 'PACS',
      maxPduLength: 65_536,
      contexts: [
        { abstractSyntax: FIND, transferSyntaxes: [LE[1]!] },
        { abstractSyntax: CT, transferSyntaxes: LE },
      ],
    });
    expect([rq.getCallingAeTitle(), rq.getCalledAeTitle(), rq.getMaxPduLength()]).toEqual(['US', 'PACS', 65_536]);
    expect(rq.getImplementationClassUid()).toBe(IMPLEMENTATION_CLASS_UID);
    const proposed = rq
      .getPresentationContexts()
      .map(({ id, context }) => [id, context.getAbstractSyntaxUid(), context.getTransferSyntaxUids()]);
    expect(proposed).toEqual([
      [1, FIND, [LE[1]]],
      [3, CT, LE],
    ]);
  });

  it('takes the SCP role only where asked (C-GET storage contexts), and proposes at most 128 contexts', () => {
    const contexts = Array.from({ length: 130 }, (_, n) => ({
      abstractSyntax: `${CT}.${n}`,
      transferSyntaxes: LE,
      scpRole: n > 0,
    }));
    const rq = associationRequest({ callingAe: 'US', calledAe: 'PACS', maxPduLength: 16_384, contexts });
    const proposed = rq.getPresentationContexts().map(({ context }) => context);
    expect(proposed).toHaveLength(128);
    expect([proposed[0]!.getUserRole(), proposed[0]!.getProviderRole()]).not.toEqual([false, true]);
    expect([proposed[1]!.getUserRole(), proposed[1]!.getProviderRole()]).toEqual([false, true]);
  });
});

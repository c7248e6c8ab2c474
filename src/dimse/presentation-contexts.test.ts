import { describe, expect, it } from 'vitest';
import { association, constants } from './dcmjs-dimse.js';
import { acceptedSyntaxes } from './presentation-contexts.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

/** A negotiated association: each context proposed, then answered. */
function negotiated(answers: { sop: string; accept?: string; scpRole?: boolean }[]) {
  const a = new association.Association('US', 'THEM');
  for (const x of answers) {
    const id = a.addPresentationContext(x.sop);
    a.addTransferSyntaxToPresentationContext(id, EXPLICIT_LE);
    a.addTransferSyntaxToPresentationContext(id, IMPLICIT_LE);
    const pc = a.getPresentationContext(id);
    if (x.scpRole) pc.setProviderRole(true);
    if (x.accept) pc.setResult(constants.PresentationContextResult.Accept, x.accept);
    else pc.setResult(constants.PresentationContextResult.RejectTransferSyntaxesNotSupported);
  }
  return a;
}

describe('acceptedSyntaxes', () => {
  it('lists the syntax of each accepted context of that abstract syntax, in order', () => {
    const a = negotiated([
      { sop: CT, accept: IMPLICIT_LE },
      { sop: MR, accept: EXPLICIT_LE },
      { sop: CT },
      { sop: CT, accept: EXPLICIT_LE },
    ]);
    expect(acceptedSyntaxes(a, CT)).toEqual([IMPLICIT_LE, EXPLICIT_LE]);
    expect(acceptedSyntaxes(a, '1.2.3')).toEqual([]);
  });

  it('with providerRole, keeps only contexts on which the requestor took the SCP role (C-GET)', () => {
    const a = negotiated([
      { sop: CT, accept: IMPLICIT_LE },
      { sop: CT, accept: EXPLICIT_LE, scpRole: true },
    ]);
    expect(acceptedSyntaxes(a, CT, { providerRole: true })).toEqual([EXPLICIT_LE]);
  });
});

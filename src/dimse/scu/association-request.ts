/** The A-ASSOCIATE-RQ we send: AE titles, our implementation, max PDU length and the proposed contexts. */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../dicom/index.js';
import { association as dimseAssociation, type Association } from '../dcmjs-dimse.js';

export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
  /** We act as the storage SCP on this context (C-GET sub-operations, PS3.7 D.3.3.4). */
  scpRole?: boolean;
}

/** Presentation context IDs are odd numbers 1–255 (PS3.8 9.3.2.2): at most 128 contexts. */
const MAX_CONTEXTS = 128;

export function associationRequest(o: {
  callingAe: string;
  calledAe: string;
  maxPduLength: number;
  contexts: readonly ProposedContext[];
}): Association {
  const assoc: Association = new dimseAssociation.Association(o.callingAe, o.calledAe);
  assoc.setMaxPduLength(o.maxPduLength);
  assoc.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
  assoc.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
  for (const c of o.contexts.slice(0, MAX_CONTEXTS)) {
    const id = assoc.addPresentationContext(c.abstractSyntax);
    for (const ts of c.transferSyntaxes) assoc.addTransferSyntaxToPresentationContext(id, ts);
    if (c.scpRole) {
      const pc = assoc.getPresentationContext(id);
      pc.setUserRole(false);
      pc.setProviderRole(true);
    }
  }
  return assoc;
}

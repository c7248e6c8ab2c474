/** Presentation contexts of a negotiated association (PS3.8 7.1.1.13), read the same way on both sides. */
import { constants, type Association } from './dcmjs-dimse.js';

/**
 * The transfer syntaxes accepted for `abstractSyntax`, one per accepted context; with
 * `providerRole`, only contexts on which the requestor took the SCP role (PS3.7 D.3.3.4).
 */
export function acceptedSyntaxes(
  association: Association,
  abstractSyntax: string,
  o: { providerRole?: boolean } = {},
): string[] {
  return association
    .getPresentationContexts()
    .map(({ context }) => context)
    .filter(
      (c) =>
        c.getAbstractSyntaxUid() === abstractSyntax && c.getResult() === constants.PresentationContextResult.Accept,
    )
    .filter((c) => !o.providerRole || c.getProviderRole() === true)
    .map((c) => c.getAcceptedTransferSyntaxUid())
    .filter((ts): ts is string => typeof ts === 'string');
}

/** The transfer syntaxes whose bytes we read and write element by element. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
} as const;

const NATIVE = new Set<string>(Object.values(TransferSyntax));

/** Every other syntax carries pixel data as encapsulated fragments (including 1.2.840.10008.1.2.1.98). */
export function isEncapsulatedTransferSyntax(uid: string): boolean {
  return !NATIVE.has(uid);
}

export interface Encoding {
  explicit: boolean;
  littleEndian: boolean;
  deflated: boolean;
}

export function encodingOf(uid: string): Encoding {
  return {
    explicit: uid !== TransferSyntax.ImplicitVRLittleEndian,
    littleEndian: uid !== TransferSyntax.ExplicitVRBigEndian,
    deflated: uid === TransferSyntax.DeflatedExplicitVRLittleEndian,
  };
}

/**
 * Which transfer syntaxes the renderer reads, and with which codec. Kept apart from the codec
 * modules so that the main thread can answer 406 without loading the codec libraries.
 */
export type Codec = 'rle' | 'jpeg' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'htj2k';

export const CODEC_OF: ReadonlyMap<string, Codec> = new Map<string, Codec>([
  ['1.2.840.10008.1.2.5', 'rle'],
  ['1.2.840.10008.1.2.4.50', 'jpeg'],
  ['1.2.840.10008.1.2.4.51', 'jpeg'],
  ['1.2.840.10008.1.2.4.57', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.70', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.80', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.81', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.90', 'jpeg2000'],
  ['1.2.840.10008.1.2.4.91', 'jpeg2000'],
  ['1.2.840.10008.1.2.4.201', 'htj2k'],
  ['1.2.840.10008.1.2.4.202', 'htj2k'],
  ['1.2.840.10008.1.2.4.203', 'htj2k'],
]);

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** Native syntaxes: their frames reach the renderer little endian (see pixel-input.ts). */
export const NATIVE: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.2',
  EXPLICIT_LE,
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.2',
]);

/** Transfer syntaxes we can render: the native ones and those a codec decodes. */
export function canRender(transferSyntaxUid: string): boolean {
  return NATIVE.has(transferSyntaxUid) || CODEC_OF.has(transferSyntaxUid);
}

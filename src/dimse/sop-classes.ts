/** The SOP classes and transfer syntaxes our SCP negotiates (PS3.4, PS3.5 Annex A, PS3.6 Annex A). */

export const VERIFICATION = '1.2.840.10008.1.1';

export type QueryModel = 'patient' | 'study';
export type QueryService = 'find' | 'move' | 'get';

export const QUERY_RETRIEVE: Record<string, { model: QueryModel; service: QueryService }> = {
  '1.2.840.10008.5.1.4.1.2.1.1': { model: 'patient', service: 'find' },
  '1.2.840.10008.5.1.4.1.2.1.2': { model: 'patient', service: 'move' },
  '1.2.840.10008.5.1.4.1.2.1.3': { model: 'patient', service: 'get' },
  '1.2.840.10008.5.1.4.1.2.2.1': { model: 'study', service: 'find' },
  '1.2.840.10008.5.1.4.1.2.2.2': { model: 'study', service: 'move' },
  '1.2.840.10008.5.1.4.1.2.2.3': { model: 'study', service: 'get' },
};

/** Storage SOP classes outside the 1.2.840.10008.5.1.4.1.1 branch. */
const OTHER_STORAGE = /^1\.2\.840\.10008\.5\.1\.4\.(34\.(7|10)|38\.1|39\.1|43\.1|44\.1|45\.1)$/;

/** Every standard storage SOP class (composite IODs, including retired ones). */
export function isStorageSopClass(uid: string): boolean {
  return (uid.startsWith('1.2.840.10008.5.1.4.1.1.') && !uid.endsWith('.')) || OTHER_STORAGE.test(uid);
}

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';

/** Syntaxes whose element encoding the library reads itself (query identifiers, echo). */
export const NATIVE_SYNTAXES: readonly string[] = [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE];

/**
 * What the archive stores as received: its parser reads every native and deflated
 * encoding, and keeps encapsulated pixel data as the fragments it was sent in.
 */
export const STORABLE_SYNTAXES: ReadonlySet<string> = new Set([
  ...NATIVE_SYNTAXES,
  DEFLATED_LE,
  '1.2.840.10008.1.2.1.98', // encapsulated uncompressed explicit VR little endian
  '1.2.840.10008.1.2.4.50', // JPEG baseline
  '1.2.840.10008.1.2.4.51', // JPEG extended
  '1.2.840.10008.1.2.4.57', // JPEG lossless
  '1.2.840.10008.1.2.4.70', // JPEG lossless, first-order prediction
  '1.2.840.10008.1.2.4.80', // JPEG-LS lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS near-lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.4.92', // JPEG 2000 part 2 multi-component lossless
  '1.2.840.10008.1.2.4.93', // JPEG 2000 part 2 multi-component
  '1.2.840.10008.1.2.4.100', // MPEG-2 MP@ML
  '1.2.840.10008.1.2.4.101', // MPEG-2 MP@HL
  '1.2.840.10008.1.2.4.102', // MPEG-4 AVC/H.264 HP/4.1
  '1.2.840.10008.1.2.4.103', // MPEG-4 AVC/H.264 BD-compatible
  '1.2.840.10008.1.2.4.104', // MPEG-4 AVC/H.264 2D
  '1.2.840.10008.1.2.4.105', // MPEG-4 AVC/H.264 3D
  '1.2.840.10008.1.2.4.106', // MPEG-4 AVC/H.264 stereo
  '1.2.840.10008.1.2.4.107', // HEVC/H.265 main
  '1.2.840.10008.1.2.4.108', // HEVC/H.265 main 10
  '1.2.840.10008.1.2.4.110', // JPEG XL lossless
  '1.2.840.10008.1.2.4.111', // JPEG XL JPEG recompression
  '1.2.840.10008.1.2.4.112', // JPEG XL
  '1.2.840.10008.1.2.4.201', // HTJ2K lossless
  '1.2.840.10008.1.2.4.202', // HTJ2K lossless RPCL
  '1.2.840.10008.1.2.4.203', // HTJ2K
  '1.2.840.10008.1.2.5', // RLE lossless
]);

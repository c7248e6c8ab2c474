/** Facts about value representations used by both the reader and the writer (PS3.5 6.2, 7.1.2). */

/** Explicit VR elements with these VRs have 2 reserved bytes and a 4-byte length. */
export const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Every VR we accept in an explicit VR stream. */
export const KNOWN_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);

/** Opaque byte VRs: InlineBinary or BulkDataURI in DICOM JSON. */
export const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Byte width of binary numeric VRs (also the unit to swap for big endian). */
export const NUMERIC_WIDTH: Record<string, number> = {
  US: 2,
  SS: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  FD: 8,
  SV: 8,
  UV: 8,
  AT: 2,
  OW: 2,
  OL: 4,
  OF: 4,
  OD: 8,
  OV: 8,
};

/** VRs whose text goes through the SpecificCharacterSet; the rest are plain ASCII. */
export const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UC', 'UT', 'PN']);

/** Single-valued text VRs: backslash is an ordinary character. */
export const TEXT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);

/** String VRs whose leading spaces are insignificant too (trailing ones always are). */
export const TRIM_BOTH_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'SH', 'TM', 'UI']);

export const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);

/** Swap each `width`-byte unit of `buf` in place (big endian ↔ little endian). */
export function swapInPlace(buf: Buffer, width: number): Buffer {
  const usable = buf.length - (buf.length % width);
  const view = usable === buf.length ? buf : buf.subarray(0, usable);
  if (width === 2) view.swap16();
  else if (width === 4) view.swap32();
  else if (width === 8) view.swap64();
  return buf;
}

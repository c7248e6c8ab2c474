/**
 * Finding the File Meta group (PS3.10 7.1): 128-byte preamble, "DICM", then group 0002
 * in explicit VR little endian. Works on partial input so an upload can be hashed from
 * the first dataset byte while it is still streaming in.
 */
import { bufferSource } from './byte-source.js';
import { detectDatasetSyntax } from './detect-syntax.js';
import {
  EXPLICIT_LE,
  readHeader,
  checkValueFits,
  UNDEFINED_LENGTH,
  tagLabel,
  type StreamSyntax,
} from './element-header.js';
import { DicomParseError, type ByteSource } from './types.js';

const PREAMBLE = 128;

export interface FileMetaLocation {
  hasFileMeta: boolean;
  /** First byte of group 0002 (132, or 0 for a File Meta without preamble). */
  metaStart: number;
  datasetOffset: number;
  /** Without File Meta: how the data set is encoded, detected from its first element (detect-syntax.ts). */
  detected?: StreamSyntax;
}

/**
 * Locate the File Meta. With `partial`, returns undefined when more bytes are needed to
 * decide; without it the source is complete and a short meta is an error.
 */
export function locateFileMeta(src: ByteSource, partial: boolean): FileMetaLocation | undefined {
  let metaStart: number;
  if (src.size >= PREAMBLE + 4 && src.read(PREAMBLE, 4).toString('latin1') === 'DICM') {
    metaStart = PREAMBLE + 4;
  } else {
    if (partial && src.size < PREAMBLE + 4) return undefined;
    if (src.size < 8) throw new DicomParseError(`only ${src.size} bytes: too short to be DICOM`, 0);
    const head = src.read(0, 6);
    const detected = detectDatasetSyntax(head);
    if (head.readUInt16LE(0) === 0x0002) {
      metaStart = 0; // File Meta without preamble: not conformant, but common enough to accept
    } else if (detected.group % 2 === 0 && detected.group >= 0x0004 && detected.group <= 0x0030) {
      const { explicit, littleEndian } = detected;
      return { hasFileMeta: false, metaStart: 0, datasetOffset: 0, detected: { explicit, littleEndian } };
    } else {
      throw new DicomParseError(
        'not DICOM: no "DICM" marker at offset 128 and the data does not start with a dataset element',
        0,
      );
    }
  }
  let off = metaStart;
  for (;;) {
    const left = src.size - off;
    if (left >= 2 && src.read(off, 2).readUInt16LE(0) !== 0x0002) break;
    if (left < 12) {
      if (partial) return undefined;
      if (left < 2) break;
    }
    const h = readHeader(src, off, src.size, EXPLICIT_LE);
    if (h.length === UNDEFINED_LENGTH) {
      throw new DicomParseError(`File Meta element ${tagLabel(h.tag)} at offset ${off} has undefined length`, off);
    }
    if (partial && h.valueOffset + h.length > src.size) return undefined;
    checkValueFits(h, h.vr!, src.size);
    off = h.valueOffset + h.length;
  }
  if (off === metaStart)
    throw new DicomParseError(`"DICM" marker present but no File Meta group at offset ${metaStart}`, metaStart);
  return { hasFileMeta: true, metaStart, datasetOffset: off };
}

export function datasetOffset(prefix: Buffer): number | undefined {
  return locateFileMeta(bufferSource(prefix), true)?.datasetOffset;
}

/**
 * The transfer syntax of a data set that arrives without File Meta, guessed from its first
 * element the way DCMTK does (DcmItem::checkTransferSyntax in dcmdata/libsrc/dcitem.cc):
 * read the first tag in both byte orders and ask whether bytes 4–5 are a VR. A tag is
 * "valid" when the dictionary knows it; when both orders give a known tag, the one with the
 * smaller group wins (group 0008 is far more likely than group 0800 for the first element).
 */
import { keywordOfTag } from './dictionary.js';
import type { StreamSyntax } from './element-header.js';
import { KNOWN_VRS } from './vr.js';

/** Known to the dictionary, or a group length element (gggg,0000), which DCMTK's dictionary also lists. */
const knownTag = (group: number, element: number): boolean =>
  element === 0x0000 ? group % 2 === 0 : keywordOfTag(((group << 16) | element) >>> 0) !== undefined;

export interface DetectedSyntax extends StreamSyntax {
  /** The first element's group read in the detected byte order. */
  group: number;
}

/** Needs the first 6 bytes of the data set. */
export function detectDatasetSyntax(head: Buffer): DetectedSyntax {
  const leGroup = head.readUInt16LE(0);
  const leElement = head.readUInt16LE(2);
  const beGroup = head.readUInt16BE(0);
  const beElement = head.readUInt16BE(2);
  const explicit = KNOWN_VRS.has(String.fromCharCode(head[4]!, head[5]!));
  const le = knownTag(leGroup, leElement);
  const be = knownTag(beGroup, beElement);
  // Neither order gives a known tag: DCMTK assumes little endian.
  let littleEndian = true;
  if (be && !le) littleEndian = false;
  else if (be && le) littleEndian = !(leGroup > 0xff && beGroup <= 0xff);
  return { explicit, littleEndian, group: littleEndian ? leGroup : beGroup };
}

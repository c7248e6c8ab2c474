/**
 * The C-STORE hot path at the PDU level (PS3.8 9.3.5, PS3.7 9.3.1): a C-STORE-RQ command
 * read from its P-DATA-TF, its data set fragments handed on as they arrive, and the
 * C-STORE-RSP written as one PDU. Every other message, and any C-STORE that does not look
 * exactly like this, goes through dcmjs-dimse. Commands are Implicit VR Little Endian
 * group 0000 elements (PS3.7 6.3.1).
 */
import { errorComment, type DimseResult } from './status.js';
import { carriesErrorComment } from '../core/dicom-status.js';

export interface PresentationDataValue {
  contextId: number;
  /** Message control header bit 0: command (1) or data set (0) fragment. */
  command: boolean;
  /** Bit 1: last fragment of the command or data set. */
  last: boolean;
  data: Buffer;
}

/** The PDVs of one whole P-DATA-TF PDU (header included), as views of it; undefined when malformed. */
export function readPdvs(pdu: Buffer): PresentationDataValue[] | undefined {
  if (pdu.length < 6 || pdu[0] !== 0x04) return undefined;
  const end = 6 + pdu.readUInt32BE(2);
  if (end !== pdu.length) return undefined;
  const out: PresentationDataValue[] = [];
  for (let at = 6; at < end; ) {
    if (at + 6 > end) return undefined;
    const length = pdu.readUInt32BE(at);
    if (length < 2 || at + 4 + length > end) return undefined;
    const header = pdu[at + 5]!;
    out.push({
      contextId: pdu[at + 4]!,
      command: (header & 1) === 1,
      last: (header & 2) === 2,
      data: pdu.subarray(at + 6, at + 4 + length),
    });
    at += 4 + length;
  }
  return out;
}

const COMMAND_FIELD = 0x0100;
const C_STORE_RQ = 0x0001;
const C_STORE_RSP = 0x8001;
const NO_DATA_SET = 0x0101;

export interface CommandSummary {
  commandField: number;
  messageId: number;
  /** CommandDataSetType is not 0x0101. */
  hasDataSet: boolean;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
}

/** The fields of a command set we route and answer by; undefined when it is not a well-formed group 0000. */
export function readCommand(bytes: Buffer): CommandSummary | undefined {
  const summary: CommandSummary = {
    commandField: -1,
    messageId: -1,
    hasDataSet: false,
    affectedSopClassUid: '',
    affectedSopInstanceUid: '',
  };
  let dataSetType = -1;
  for (let at = 0; at < bytes.length; ) {
    if (at + 8 > bytes.length) return undefined;
    const group = bytes.readUInt16LE(at);
    const element = bytes.readUInt16LE(at + 2);
    const length = bytes.readUInt32LE(at + 4);
    const value = at + 8;
    if (group !== 0x0000 || value + length > bytes.length) return undefined;
    const us = () => (length === 2 ? bytes.readUInt16LE(value) : -1);
    const text = () => bytes.toString('latin1', value, value + length).replace(/[\0 ]+$/, '');
    if (element === 0x0002) summary.affectedSopClassUid = text();
    else if (element === COMMAND_FIELD) summary.commandField = us();
    else if (element === 0x0110) summary.messageId = us();
    else if (element === 0x0800) dataSetType = us();
    else if (element === 0x1000) summary.affectedSopInstanceUid = text();
    at = value + length;
  }
  if (summary.commandField < 0 || dataSetType < 0) return undefined;
  summary.hasDataSet = dataSetType !== NO_DATA_SET;
  return summary;
}

/** A C-STORE-RQ we can take on the fast path. */
export const isStoreRequest = (c: CommandSummary | undefined): c is CommandSummary =>
  c !== undefined && c.commandField === C_STORE_RQ && c.hasDataSet && c.messageId >= 0;

/** Text padded to even length: UI with NUL, other VRs with a space. */
const padded = (s: string, pad: '\0' | ' ') => (s.length % 2 === 0 ? s : s + pad);

/** A group 0000 element of the response: a US number or latin1 text (already padded). */
type ResponseElement = [tag: number, value: number | string];

/** The C-STORE-RSP for a request, as one P-DATA-TF PDU (Error Comment on failures and warnings, as fillResponse). */
export function storeResponsePdu(contextId: number, request: CommandSummary, result: DimseResult): Buffer {
  const elements: ResponseElement[] = [
    [0x0002, padded(request.affectedSopClassUid, '\0')],
    [COMMAND_FIELD, C_STORE_RSP],
    [0x0120, request.messageId],
    [0x0800, NO_DATA_SET],
    [0x0900, result.status],
    ...(carriesErrorComment(result.status) && result.comment
      ? [[0x0902, padded(errorComment(result.comment), ' ')] as ResponseElement]
      : []),
    [0x1000, padded(request.affectedSopInstanceUid, '\0')],
  ];
  const valueLength = (v: number | string) => (typeof v === 'number' ? 2 : Buffer.byteLength(v, 'latin1'));
  // Written straight into one PDU (one allocation per response): the PDU and PDV headers, then
  // CommandGroupLength and the elements, each an 8-byte Implicit VR LE header and its value.
  const body = elements.reduce((n, [, v]) => n + 8 + valueLength(v), 0);
  const command = 12 + body;
  const pdu = Buffer.alloc(12 + command);
  pdu.writeUInt8(0x04, 0);
  pdu.writeUInt32BE(6 + command, 2);
  pdu.writeUInt32BE(2 + command, 6);
  pdu.writeUInt8(contextId, 10);
  pdu.writeUInt8(0x03, 11); // command, last fragment
  let at = 12;
  const header = (tag: number, length: number) => {
    pdu.writeUInt16LE(0, at);
    pdu.writeUInt16LE(tag, at + 2);
    pdu.writeUInt32LE(length, at + 4);
    at += 8;
  };
  header(0x0000, 4);
  pdu.writeUInt32LE(body, at);
  at += 4;
  for (const [tag, v] of elements) {
    header(tag, valueLength(v));
    if (typeof v === 'number') at = pdu.writeUInt16LE(v, at);
    else at += pdu.write(v, at, 'latin1');
  }
  return pdu;
}

import type { ChainRecord } from './types.js';

/** Facility 10 (security/authorization), severity 5 (notice): PRI 85, as IHE ATNA sends. */
const PRI = 10 * 8 + 5;
/** RFC 5612 documentation enterprise number; the SD-ID carries the chain position. */
const SD_ID = 'imaging-bridge-audit@32473';
/** The SD-ID of anchored checkpoints (anchor.ts). */
export const CHECKPOINT_SD_ID = 'imaging-bridge-checkpoint@32473';

export interface SyslogOrigin {
  hostname: string;
  appName?: string;
  procId?: string | number;
}

/** RFC 5424 header field: printable US-ASCII, no spaces, at most `max` characters, "-" when empty. */
function field(value: string | number | undefined, max: number): string {
  const s = String(value ?? '')
    .replace(/[^\x21-\x7e]/g, '')
    .slice(0, max);
  return s || '-';
}

const header = (timestamp: string, origin: SyslogOrigin, msgId: string) =>
  `<${PRI}>1 ${timestamp} ${field(origin.hostname, 255)} ${field(origin.appName ?? 'imaging-bridge', 48)} ${field(origin.procId, 128)} ${msgId}`;

const recordSd = (r: ChainRecord, part?: { i: number; n: number }) =>
  `[${SD_ID} seq="${r.seq}" hash="${r.hash}" prev="${r.prevHash}"${part ? ` part="${part.i}" parts="${part.n}"` : ''}]`;

/**
 * One chain record as an RFC 5424 message: the timestamp is the event's `recorded`, the MSG
 * the AuditEvent JSON exactly as hashed (ASCII only), and structured data its seq and hash,
 * so a collector can check the chain too (with the key).
 */
export function syslogLine(record: ChainRecord, origin: SyslogOrigin): string {
  return `${header(record.recorded, origin, 'IHE+FHIR')} ${recordSd(record)} ${record.json}`;
}

/**
 * The record as messages of at most `maxBytes` octets each. One message when it fits (the usual
 * case). Otherwise the MSG (the JSON as hashed) is cut into consecutive pieces, never inside a
 * character, each sent as a complete RFC 5424 message with the same header and the structured
 * data `part="i" parts="n"` added: a collector that does not reassemble still keeps every piece
 * under its limit and knows what it has; one that does concatenates the MSGs of parts 1..n of
 * the same seq and gets exactly the hashed JSON back. Nothing is ever truncated away.
 */
export function syslogMessages(record: ChainRecord, origin: SyslogOrigin, maxBytes: number): string[] {
  const whole = syslogLine(record, origin);
  if (Buffer.byteLength(whole) <= maxBytes) return [whole];
  const head = header(record.recorded, origin, 'IHE+FHIR');
  let n = 2;
  for (;;) {
    const budget = maxBytes - Buffer.byteLength(`${head} ${recordSd(record, { i: n, n })} `);
    if (budget < 64) throw new RangeError(`syslog: ${maxBytes} octets leave no room for the message after its header`);
    const pieces = cut(record.json, budget);
    if (pieces.length <= n)
      return pieces.map((p, i) => `${head} ${recordSd(record, { i: i + 1, n: pieces.length })} ${p}`);
    n = pieces.length; // more digits in part/parts: measure again
  }
}

/** Consecutive pieces of at most `budget` UTF-8 octets, never splitting a character. */
function cut(text: string, budget: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > budget) {
      pieces.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += ch;
    bytes += size;
  }
  if (piece) pieces.push(piece);
  return pieces;
}

/** An anchored checkpoint (anchor.ts) as an RFC 5424 message, MSGID CHECKPOINT, all in structured data. */
export function checkpointSyslogLine(
  c: { v: number; seq: number; hash: string; hmac: string; at: string },
  origin: SyslogOrigin,
): string {
  return `${header(c.at, origin, 'CHECKPOINT')} [${CHECKPOINT_SD_ID} v="${c.v}" seq="${c.seq}" hash="${c.hash}" hmac="${c.hmac}"]`;
}

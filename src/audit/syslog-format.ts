import type { ChainRecord } from './types.js';

/** Facility 10 (security/authorization), severity 5 (notice): PRI 85, as IHE ATNA sends. */
const PRI = 10 * 8 + 5;
/** RFC 5612 documentation enterprise number; the SD-ID carries the chain position. */
const SD_ID = 'imaging-bridge-audit@32473';

export interface SyslogOrigin {
  hostname: string;
  appName?: string;
  procId?: string | number;
}

/** RFC 5424 header field: printable US-ASCII, no spaces, at most `max` characters, "-" when empty. */
function field(value: string | number | undefined, max: number): string {
  const s = String(value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s || '-';
}

/**
 * One chain record as an RFC 5424 message: the timestamp is the event's `recorded`, the MSG
 * the AuditEvent JSON exactly as hashed (ASCII only), and structured data its seq and hash,
 * so a collector can check the chain too (with the key).
 */
export function syslogLine(record: ChainRecord, origin: SyslogOrigin): string {
  const sd = `[${SD_ID} seq="${record.seq}" hash="${record.hash}" prev="${record.prevHash}"]`;
  return `<${PRI}>1 ${record.recorded} ${field(origin.hostname, 255)} ${field(origin.appName ?? 'imaging-bridge', 48)} ${field(origin.procId, 128)} IHE+FHIR ${sd} ${record.json}`;
}

/**
 * Watches the raw byte stream of one association for PDU headers (PS3.8 9.3: type, reserved,
 * 32-bit big-endian length) before the library buffers anything. It refuses what would make
 * the library misbehave: unknown PDU types, a first PDU that is not A-ASSOCIATE-RQ, and
 * lengths above what we announced (a forged 4 GB length would otherwise be buffered).
 */

export const PDU_TYPES: Record<number, string> = {
  1: 'A-ASSOCIATE-RQ',
  2: 'A-ASSOCIATE-AC',
  3: 'A-ASSOCIATE-RJ',
  4: 'P-DATA-TF',
  5: 'A-RELEASE-RQ',
  6: 'A-RELEASE-RP',
  7: 'A-ABORT',
};

/** An A-ASSOCIATE-RQ is small (a few hundred contexts at most); bound it before negotiation. */
export const MAX_ASSOCIATE_RQ_LENGTH = 1024 * 1024;
/** A-RELEASE and A-ABORT PDUs have a fixed length of 4. */
const FIXED_LENGTH: Record<number, number> = { 5: 4, 6: 4, 7: 4 };

export class PduGuard {
  private header = Buffer.alloc(6);
  private headerFill = 0;
  /** Bytes of the current PDU's body still to come. */
  private bodyLeft = 0;
  private pdus = 0;

  constructor(private readonly maxPduLength: number) {}

  /** The first problem in this chunk, or undefined when it is well-formed so far. */
  check(chunk: Buffer): string | undefined {
    let off = 0;
    while (off < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - off);
        this.bodyLeft -= take;
        off += take;
        continue;
      }
      const take = Math.min(6 - this.headerFill, chunk.length - off);
      chunk.copy(this.header, this.headerFill, off, off + take);
      this.headerFill += take;
      off += take;
      if (this.headerFill < 6) break;
      this.headerFill = 0;
      const problem = this.headerProblem(this.header[0]!, this.header.readUInt32BE(2));
      if (problem) return problem;
      this.bodyLeft = this.header.readUInt32BE(2);
      this.pdus++;
    }
    return undefined;
  }

  private headerProblem(type: number, length: number): string | undefined {
    const name = PDU_TYPES[type];
    if (!name) return `unknown PDU type 0x${type.toString(16).padStart(2, '0')}`;
    if (this.pdus === 0 && type !== 0x01) return `${name} before A-ASSOCIATE-RQ`;
    if (this.pdus > 0 && type === 0x01) return 'a second A-ASSOCIATE-RQ';
    if (type === 0x02 || type === 0x03) return `${name} sent to an association acceptor`;
    const fixed = FIXED_LENGTH[type];
    if (fixed !== undefined && length !== fixed) return `${name} with length ${length} (must be ${fixed})`;
    const max = type === 0x01 ? MAX_ASSOCIATE_RQ_LENGTH : this.maxPduLength;
    if (length > max) return `${name} of ${length} bytes exceeds the maximum of ${max}`;
    if (type === 0x04 && length < 6) return `P-DATA-TF with length ${length} cannot hold a PDV`;
    return undefined;
  }
}

/**
 * Cuts the (already checked) byte stream of an association into whole PDUs, so the library
 * receives one complete PDU per call. Its own reassembly concatenates the bytes received so
 * far with every socket chunk (a 128 KB P-DATA-TF arriving in 64 KB reads is copied 2–3
 * times, and each copy is garbage); here a PDU that lies inside one chunk is passed as a view
 * of it, and one spread over several chunks is joined once.
 */
export class PduFramer {
  private parts: Buffer[] = [];
  private have = 0;
  /** Total length (header included) of the PDU being gathered; 0 while its header is incomplete. */
  private need = 0;

  /**
   * `emitParts`, when given, is offered a PDU spread over several chunks as those pieces
   * (views, in order); when it takes them (true), the PDU is never joined.
   */
  push(chunk: Buffer, emit: (pdu: Buffer) => void, emitParts?: (parts: Buffer[]) => boolean): void {
    let off = 0;
    while (off < chunk.length) {
      const left = chunk.length - off;
      if (this.have === 0) {
        if (left >= 6) {
          const total = 6 + chunk.readUInt32BE(off + 2);
          if (left >= total) {
            emit(chunk.subarray(off, off + total));
            off += total;
            continue;
          }
          this.need = total;
        }
        this.parts.push(chunk.subarray(off));
        this.have = left;
        return;
      }
      if (this.need === 0) {
        const take = Math.min(6 - this.have, left);
        this.parts.push(chunk.subarray(off, off + take));
        this.have += take;
        off += take;
        if (this.have < 6) return;
        const header = Buffer.concat(this.parts, 6);
        this.parts = [header];
        this.need = 6 + header.readUInt32BE(2);
        if (this.need === 6) this.flush(emit, emitParts);
        continue;
      }
      const take = Math.min(this.need - this.have, left);
      this.parts.push(chunk.subarray(off, off + take));
      this.have += take;
      off += take;
      if (this.have === this.need) this.flush(emit, emitParts);
    }
  }

  private flush(emit: (pdu: Buffer) => void, emitParts?: (parts: Buffer[]) => boolean): void {
    const parts = this.parts;
    const need = this.need;
    this.parts = [];
    this.have = 0;
    this.need = 0;
    if (parts.length > 1 && emitParts?.(parts)) return;
    emit(parts.length === 1 ? parts[0]! : Buffer.concat(parts, need));
  }
}

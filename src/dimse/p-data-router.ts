/**
 * Which P-DATA-TF PDUs of an association the C-STORE fast path takes and which go to the
 * library. A C-STORE-RQ whose command is whole in the first PDV of a PDU is taken: its data
 * set fragments go where the host says until the last one, and the host answers it (one PDU,
 * store-fast-path.ts). Any other message goes to the library, which we follow PDV by PDV so as
 * never to cut into one of its messages.
 */
import type { ChunkQueue } from './chunk-queue.js';
import {
  isStoreRequest,
  readCommand,
  readPdvs,
  type CommandSummary,
  type PresentationDataValue,
} from './store-fast-path.js';

/** PDU header (type, reserved, length) and the header of its first PDV (length, context, flags). */
const PDU_AND_PDV_HEADER = 12;

/** The first `n` bytes of a PDU held in pieces (a view when the first piece has them), or undefined if shorter. */
function firstBytes(parts: Buffer[], n: number): Buffer | undefined {
  if (parts[0]!.length >= n) return parts[0]!;
  const out = Buffer.alloc(n);
  let at = 0;
  for (const p of parts) {
    at += p.copy(out, at, 0, Math.min(p.length, n - at));
    if (at === n) return out;
  }
  return undefined;
}

export interface FastStoreHost {
  /** A C-STORE-RQ arrived on `contextId`: where its data set goes, or undefined to leave it to the library. */
  startStore(contextId: number, command: CommandSummary): ChunkQueue | undefined;
  /** The peer broke the protocol: the association must end. */
  violation(why: string): void;
}

export class PDataRouter {
  /** A C-STORE taken on the fast path whose data set is still arriving. */
  private store: { queue: ChunkQueue; contextId: number } | undefined;
  /** A message the library is receiving: all its PDUs go to the library. */
  private libraryMessage: { command: Buffer[]; inDataSet: boolean } | undefined;

  constructor(private readonly host: FastStoreHost) {}

  /** Offers one whole P-DATA-TF PDU; true when the fast path took it (the library must not see it). */
  take(pdu: Buffer): boolean {
    const pdvs = readPdvs(pdu);
    if (!pdvs) return false; // the library answers malformed PDUs
    if (this.store) {
      this.continueStore(pdvs);
      return true;
    }
    if (!this.libraryMessage && this.startStore(pdvs)) return true;
    this.followLibraryMessage(pdvs);
    return false;
  }

  /**
   * Offers a P-DATA-TF PDU that arrived in several pieces. Taken without joining them only when
   * it continues the data set of a fast-path C-STORE with one data PDV on the same context (what
   * SCUs send: one PDV per PDU); anything else is refused (false), joined, and offered to take().
   */
  takeParts(parts: Buffer[]): boolean {
    const store = this.store;
    if (!store) return false;
    const head = firstBytes(parts, PDU_AND_PDV_HEADER);
    if (head === undefined) return false;
    if (head[0] !== 0x04) return false;
    const pduLength = head.readUInt32BE(2);
    const pdvLength = head.readUInt32BE(6);
    const contextId = head[10]!;
    const flags = head[11]!;
    if (pdvLength + 4 !== pduLength || contextId !== store.contextId || (flags & 1) === 1) return false;
    let skip = PDU_AND_PDV_HEADER;
    for (const part of parts) {
      if (skip >= part.length) {
        skip -= part.length;
        continue;
      }
      store.queue.push(skip > 0 ? part.subarray(skip) : part);
      skip = 0;
    }
    if ((flags & 2) === 2) {
      store.queue.end();
      this.store = undefined;
    }
    return true;
  }

  /** The association ended: a data set still arriving fails with `error`. */
  close(error: Error): void {
    this.store?.queue.fail(error);
    this.store = undefined;
  }

  private startStore(pdvs: PresentationDataValue[]): boolean {
    const [first, ...rest] = pdvs;
    if (!first?.command || !first.last) return false;
    const command = readCommand(first.data);
    if (!isStoreRequest(command) || rest.some((p) => p.command || p.contextId !== first.contextId)) return false;
    const queue = this.host.startStore(first.contextId, command);
    if (!queue) return false;
    this.store = { queue, contextId: first.contextId };
    this.continueStore(rest);
    return true;
  }

  private continueStore(pdvs: PresentationDataValue[]): void {
    const store = this.store!;
    for (const p of pdvs) {
      if (p.command || p.contextId !== store.contextId) {
        this.store = undefined;
        store.queue.fail(new Error('a new message began before the data set was complete'));
        this.host.violation('a new message began before the C-STORE data set was complete');
        return;
      }
      store.queue.push(p.data);
      if (p.last) {
        store.queue.end();
        this.store = undefined;
        return;
      }
    }
  }

  /** Where the library's current message ends: after a command without data set, or the last data fragment. */
  private followLibraryMessage(pdvs: PresentationDataValue[]): void {
    for (const p of pdvs) {
      const m = (this.libraryMessage ??= { command: [], inDataSet: false });
      if (p.command) {
        m.command.push(p.data);
        if (p.last && !readCommand(Buffer.concat(m.command))?.hasDataSet) this.libraryMessage = undefined;
        else if (p.last) m.inDataSet = true;
      } else if (p.last) this.libraryMessage = undefined;
    }
  }
}

/** What a fault test sent and what was acknowledged, for the checks after the fault. */
import { ctInstance } from '../../src/dicom/test-support.js';
import type { SpawnedServer } from './server.js';

export interface Sent {
  study: string;
  sop: string;
  bytes: Buffer;
  via: 'stow' | 'c-store';
  /** The HTTP port of the instance it was sent to. */
  to: number;
}

export class Ledger {
  readonly sent = new Map<string, Sent>();
  readonly acked = new Map<string, Sent>();
  /** Answers other than an acknowledgement: HTTP status, DIMSE failure, or a transport error. */
  readonly refused: string[] = [];
  private next = 1;
  constructor(private readonly studies: string[]) {}

  /** A new small CT instance of one of the studies, in turn, recorded as sent. */
  instance(via: Sent['via'], to: SpawnedServer): Sent {
    const n = this.next++;
    const study = this.studies[n % this.studies.length]!;
    const sop = `${study}.1.${n}`;
    const s = {
      study,
      sop,
      via,
      to: to.httpPort,
      bytes: ctInstance({ study, series: `${study}.1`, sop, rows: 16, columns: 16 }),
    };
    this.sent.set(sop, s);
    return s;
  }

  ackedVia(pred: (s: Sent) => boolean): number {
    let n = 0;
    for (const s of this.acked.values()) if (pred(s)) n++;
    return n;
  }
}

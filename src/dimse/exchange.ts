/** One query/retrieve request as its handler (find/, retrieve/, audit.ts) sees it, without the association. */
import type { Logger } from 'pino';
import type { Request, Response } from './dcmjs-dimse.js';

export interface Exchange {
  request: Request;
  callingAe: string;
  /** Affected SOP Class UID: which information model (and service) was asked for. */
  sopClassUid: string;
  /** Of the identifier (the presentation context's). */
  transferSyntaxUid: string;
  /** The identifier as the library decoded it (dcmjs naturalized form). */
  identifier: Record<string, unknown>;
  cancelled(): boolean;
  send(response: Response): void;
  /**
   * Call before anything about matches leaves (a pending C-FIND response, a C-STORE
   * sub-operation): resolves once the access is durably audited; rejects with a DimseError
   * (a refusal status) when it cannot be, and then nothing may be sent but that status.
   */
  disclose(studyUids: readonly string[]): Promise<void>;
  /** Resolves once what was sent has left the socket buffer (back-pressure for long answers). */
  flushed(): Promise<void>;
  log: Logger;
}

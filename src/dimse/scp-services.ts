import type { Logger } from 'pino';
import type { AssociationScp } from './association-scp.js';
import type { Request, Response } from './dcmjs-dimse.js';
import type { DimseSettings } from './settings.js';
import type { StorePort } from './store-handler.js';
import type { AssociationRejection } from './audit.js';

/** One query/retrieve request as its handler sees it. */
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

/** What an association needs from the server around it. */
export interface ScpServices {
  settings: DimseSettings;
  archive: StorePort;
  /** Associations open now, `self` excluded. */
  activeAssociations(self: AssociationScp): number;
  released(self: AssociationScp): void;
  /** An association we refused (A-ASSOCIATE-RJ), for the audit trail. */
  rejected(r: AssociationRejection): void;
  find(x: Exchange): Promise<void>;
  move(x: Exchange, destination: string): Promise<void>;
  get(x: Exchange, scp: AssociationScp): Promise<void>;
}

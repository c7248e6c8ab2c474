/**
 * What one accepted association (association-scp.ts) and the server around it (server.ts) see
 * of each other: the server's settings, limits and handlers, and the association as the server
 * and a C-GET see it. Types only, so neither side imports the other.
 */
import type { Request } from './dcmjs-dimse.js';
import type { Exchange } from './exchange.js';
import type { DimseSettings } from './settings.js';
import type { StorePort } from './store-handler.js';
import type { AssociationRejection } from './audit.js';

/** One accepted association, as the server (its limit) and a C-GET (its sub-operations) see it. */
export interface ScpAssociation {
  /** Set once we sent A-ASSOCIATE-AC: only those count against the association limit. */
  readonly associated: boolean;
  /** Accepted syntaxes of storage contexts on which the requestor took the SCP role (C-GET). */
  acceptedForSubOperations(sopClassUid: string): string[];
  /** Sends requests to the requestor (C-GET's C-STORE sub-operations). */
  sendRequests(request: Request): void;
  /** Settles when the connection is gone. */
  whenClosed(): Promise<void>;
  /** A-ABORT (when associated) and close; idempotent. */
  terminate(why: string, abort: boolean): void;
  /** Settles once every handler started on this association has answered. */
  drain(): Promise<void>;
}

/** What an association needs from the server around it. */
export interface ScpServices {
  settings: DimseSettings;
  archive: StorePort;
  /** Associations open now, `self` excluded. */
  activeAssociations(self: ScpAssociation): number;
  released(self: ScpAssociation): void;
  /** An association we refused (A-ASSOCIATE-RJ), for the audit trail. */
  rejected(r: AssociationRejection): void;
  find(x: Exchange): Promise<void>;
  move(x: Exchange, destination: string): Promise<void>;
  get(x: Exchange, scp: ScpAssociation): Promise<void>;
}

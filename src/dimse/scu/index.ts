/** The DIMSE SCU: what src/sources (and others) use to query and retrieve from a remote PACS. */
export {
  cFind,
  cGet,
  cMove,
  type QueryLevel,
  type RemoteAe,
  type RetrieveCounts,
  type RetrieveKeys,
} from './query-retrieve.js';
export { ScuError } from './scu-error.js';
export { openAssociation, type AssociationOptions, type ScuAssociation, type ProposedContext } from './association.js';
export { cEchoOn, cFindOn } from './probe.js';

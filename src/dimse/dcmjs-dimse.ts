/**
 * The one import of dcmjs-dimse in the code base. It gives us PDU framing, association
 * negotiation and DIMSE message assembly; we keep the listener, the policy, timeouts and
 * dataset bytes to ourselves (its Dataset would re-encode through dcmjs, so what we send
 * is always our own bytes, see rawDataset).
 */
import dimse from 'dcmjs-dimse';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export const { Scp, Dataset, Implementation, constants, requests, responses, association } = dimse;
export type Scp = InstanceType<typeof dimse.Scp>;
export type Association = InstanceType<typeof dimse.association.Association>;
export type PresentationContext = InstanceType<typeof dimse.association.PresentationContext>;
export type Dataset = InstanceType<typeof dimse.Dataset>;
export type Request = InstanceType<typeof dimse.requests.Request>;
export type Response = InstanceType<typeof dimse.responses.Response>;
export type CStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
export type CFindRequest = InstanceType<typeof dimse.requests.CFindRequest>;
export type CMoveRequest = InstanceType<typeof dimse.requests.CMoveRequest>;
export type CGetRequest = InstanceType<typeof dimse.requests.CGetRequest>;
export type CStoreResponse = InstanceType<typeof dimse.responses.CStoreResponse>;

// dcmjs-dimse logs through loglevel to the console; our own logs say what matters.
dimse.log.setLevel('silent');

/*
 * The library (through memorystream) calls the deprecated Buffer() constructor for every
 * DIMSE command it receives. Node then checks, by capturing a stack trace, whether the caller
 * lies in node_modules — for the first 10,000 calls of the process, ≈ 0.1 ms each (4.8 % of a
 * 10,000-instance C-STORE run's CPU profile) — unless DEP0005 was already emitted. It is
 * emitted here once, silently, so those checks never run. We never call Buffer() ourselves.
 */
{
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    (Buffer as unknown as (size: number) => Buffer)(0);
  } finally {
    process.noDeprecation = quiet;
  }
}

/**
 * The library's Network class (the base of Scp, not exported on its own): an association
 * over a socket we opened, used as the SCU side of C-MOVE sub-operations.
 */
type NetworkClass = new (socket: Socket | TLSSocket, opts?: Record<string, unknown>) => Scp;
export const Network = Object.getPrototypeOf(dimse.Scp) as NetworkClass;

/**
 * A Dataset whose encoded form is bytes we made (our writer, or a stored instance as
 * received). The library writes getDenaturalizedDataset() as the P-DATA value; since the
 * transfer syntax equals the presentation context's, it never transcodes.
 */
export function rawDataset(bytes: Buffer, transferSyntaxUid: string, elements: Record<string, unknown> = {}): Dataset {
  const ds = new dimse.Dataset(elements, transferSyntaxUid);
  ds.getDenaturalizedDataset = () => bytes;
  return ds;
}

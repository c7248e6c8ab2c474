import { randomUUID } from 'node:crypto';
import { buildAuditEvents } from './balp/build.js';
import { canonicalJsonAll } from './canonical-json.js';
import {
  type AuditEntry,
  type EntryResult,
  type SerializedError,
  deserializeError,
  serializeError,
} from './chain-protocol.js';
import type { NewRecord } from './chain-store-contract.js';
import type { ChainRecord } from './types.js';

export type { AuditEntry } from './chain-protocol.js';

/**
 * The chain records of one entry: events built if needed, `meta` left out (versionId/lastUpdated
 * belong to a repository, not to the record), an id given to each event without one, canonical
 * JSON written once per shared part (canonicalJsonAll). Throws on an entry that cannot be recorded.
 */
export function prepareEntry(entry: AuditEntry): NewRecord[] {
  if ('records' in entry) return entry.records;
  if ('refused' in entry) throw deserializeError(entry.refused);
  const events = 'access' in entry ? buildAuditEvents(entry.access) : entry.events;
  const contents = events.map((event) => {
    if (event.resourceType !== 'AuditEvent')
      throw new TypeError(`the audit log takes AuditEvents, not ${String(event.resourceType)}`);
    const { meta: _meta, ...content } = event;
    return { ...content, id: event.id ?? randomUUID() };
  });
  const texts = canonicalJsonAll(contents);
  return contents.map((c, i) => ({ id: c.id, recorded: c.recorded, json: texts[i]! }));
}

/** An entry prepared for the chain, or the reason it cannot be recorded. */
export type PreparedEntry = NewRecord[] | { error: SerializedError };

export function prepareEntries(entries: readonly AuditEntry[]): PreparedEntry[] {
  return entries.map((entry) => {
    try {
      return prepareEntry(entry);
    } catch (e) {
      return { error: serializeError(e) };
    }
  });
}

/**
 * Appends the prepared entries: all in one transaction; if that fails (one entry's id is already
 * in the chain), entry by entry, so that one bad entry does not fail the others. `retryOne` says
 * whether a failure of the whole is worth the one-by-one pass.
 */
export async function appendEntries(
  prepared: readonly PreparedEntry[],
  append: (records: NewRecord[]) => ChainRecord[] | Promise<ChainRecord[]>,
  retryOne: (e: unknown) => boolean = () => true,
): Promise<EntryResult[]> {
  const results: EntryResult[] = prepared.map((p) => (Array.isArray(p) ? { records: [] } : p));
  const ok = prepared.flatMap((p, i) => (Array.isArray(p) && p.length ? [i] : []));
  if (!ok.length) return results;
  try {
    const stored = await append(ok.flatMap((i) => prepared[i] as NewRecord[]));
    let at = 0;
    for (const i of ok) {
      const n = (prepared[i] as NewRecord[]).length;
      results[i] = { records: stored.slice(at, at + n) };
      at += n;
    }
  } catch (e) {
    if (ok.length === 1 || !retryOne(e)) {
      for (const i of ok) results[i] = { error: serializeError(e) };
      return results;
    }
    for (const i of ok)
      try {
        results[i] = { records: await append(prepared[i] as NewRecord[]) };
      } catch (err) {
        results[i] = { error: serializeError(err) };
      }
  }
  return results;
}

/**
 * The entries with each one built here (on the calling thread): for a batch that structured clone
 * refused (a value it cannot copy, e.g. a function somewhere in an access record), so that it is
 * still recorded, and one that cannot be built fails alone.
 */
export function builtHere(entries: readonly AuditEntry[]): AuditEntry[] {
  return entries.map((entry) => {
    try {
      return { records: prepareEntry(entry) };
    } catch (e) {
      return { refused: serializeError(e) };
    }
  });
}

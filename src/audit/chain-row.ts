import type { ChainRecord } from './types.js';

/** A chain record as both stores keep it (snake_case columns): SQLite's `record` table and PostgreSQL's. */
export interface ChainRow {
  seq: number;
  id: string;
  recorded: string;
  json: string;
  prev_hash: string;
  hash: string;
}

export const toChainRecord = (r: ChainRow): ChainRecord => ({
  seq: r.seq,
  id: r.id,
  recorded: r.recorded,
  json: r.json,
  prevHash: r.prev_hash,
  hash: r.hash,
});

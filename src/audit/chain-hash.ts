import { createHmac } from 'node:crypto';

/** prev_hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * hash = HMAC-SHA256(key, prev_hash || json), hex. Without the key (kept outside the data
 * directory) nobody can recompute the chain after editing a record.
 */
export function chainHash(key: Buffer, prevHash: string, json: string): string {
  return createHmac('sha256', key).update(prevHash).update(json).digest('hex');
}

import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt hashes for user passwords and client secrets, stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so parameters can be raised later without a migration:
 * a stored hash is verified with its own parameters, new hashes use PARAMS.
 *
 * N = 2^17, r = 8 (OWASP's scrypt minimum) costs 128 MiB and a few hundred milliseconds per
 * hash; at most MAX_CONCURRENT verifications run at once, so a flood of login attempts queues
 * instead of taking the process's memory.
 */
export const PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_CONCURRENT = 2;
/** Stored parameters above these are refused rather than computed (a corrupt or hostile row). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 4;

/** scrypt needs 128·N·r·p bytes; Node's default maxmem (32 MiB) is below N = 2^17. */
const maxmemFor = (o: { N: number; r: number; p: number }): number => 128 * o.N * o.r * o.p + 16 * 1024 * 1024;

export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, KEY_LENGTH, { ...PARAMS, maxmem: maxmemFor(PARAMS) });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * A well-formed hash at the current cost that no secret matches (random salt and value): what an
 * unknown name is checked against, so that it costs what a known one costs.
 */
export const UNMATCHABLE_HASH = [
  'scrypt',
  PARAMS.N,
  PARAMS.r,
  PARAMS.p,
  randomBytes(16).toString('base64url'),
  randomBytes(KEY_LENGTH).toString('base64url'),
].join('$');

/** Constant-time comparison; false for a malformed stored value. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    ![params.N, params.r, params.p].every(Number.isInteger) ||
    params.N > MAX_N ||
    params.r > MAX_R ||
    params.p > MAX_P
  )
    return false;
  const expected = Buffer.from(hash, 'base64url');
  const options: ScryptOptions = { ...params, maxmem: maxmemFor(params) };
  const actual = await limited(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(secret, Buffer.from(salt, 'base64url'), expected.length, options, (e, key) =>
          e ? reject(e) : resolve(key),
        ),
      ),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { Keyring, keyIdOf, parseKeyList } from './keys.js';

describe('encryption keys', () => {
  it('reads hex and base64 keys, primary first, skipping comments', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keys = parseKeyList(`# new primary\n${a.toString('hex')}\n\n${b.toString('base64')}\n`, 'test');
    expect(keys.map((k) => k.bytes.equals(a) || k.bytes.equals(b))).toEqual([true, true]);
    expect(keys[0]!.bytes.equals(a)).toBe(true);
    expect(keys[1]!.id.equals(keyIdOf(b))).toBe(true);
    expect(new Keyring(keys).get(keyIdOf(b))?.bytes.equals(b)).toBe(true);
    expect(parseKeyList(`${a.toString('hex')},${b.toString('base64url')}`, 'env')).toHaveLength(2);
  });

  it('refuses keys that are not 256 bits, and an empty list', () => {
    expect(() => parseKeyList(randomBytes(16).toString('hex'), 'test')).toThrow(/32 bytes/);
    expect(() => parseKeyList('correct horse battery staple', 'test')).toThrow(/32 bytes/);
    expect(() => parseKeyList('# nothing\n', 'test')).toThrow(/no key/);
  });

  it('takes the key from the environment only, and not together with a key file', () => {
    const key = randomBytes(32).toString('hex');
    expect(loadConfig({}, { IMAGING_BRIDGE_ENCRYPTION_KEY: key }).encryptionKey).toBe(key);
    expect(() => loadConfig({ 'encryption-key': key }, {})).toThrow(/unknown option --encryption-key/);
    expect(() => loadConfig({ 'encryption-key-file': '/etc/ib.key' }, { IMAGING_BRIDGE_ENCRYPTION_KEY: key })).toThrow(
      /not both/,
    );
  });
});

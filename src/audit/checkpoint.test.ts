import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkpointFiles } from './test-support.js';
import {
  checkpointFileOf,
  checkSignedCheckpoint,
  readCheckpoint,
  signedCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';

const key = Buffer.alloc(32, 1);
const head = { seq: 42, hash: 'a'.repeat(64) };

describe('audit checkpoint', () => {
  const fileIn = checkpointFiles();

  it('lives beside the key file', () => {
    expect(checkpointFileOf('/etc/ib/audit.key')).toBe('/etc/ib/audit.key.checkpoint');
  });

  it('reads back what it wrote, readable by the owner only', async () => {
    const file = fileIn();
    await writeCheckpoint(file, key, head, true);
    expect(readCheckpoint(file, key)).toEqual({ status: 'valid', checkpoint: head });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(signedCheckpoint(key, head));
  });

  it('tells a missing file from an unusable one', () => {
    const file = fileIn();
    expect(readCheckpoint(file, key)).toEqual({ status: 'absent' });
    writeFileSync(file, 'not json');
    expect(readCheckpoint(file, key)).toEqual({ status: 'invalid', reason: 'is not JSON' });
  });

  it('refuses a checkpoint signed with another key or with an edited head', () => {
    const signed = signedCheckpoint(key, head);
    expect(checkSignedCheckpoint(signed, Buffer.alloc(32, 2))).toEqual({
      status: 'invalid',
      reason: 'is not signed with this key',
    });
    expect(checkSignedCheckpoint({ ...signed, seq: 41 }, key).status).toBe('invalid');
    expect(checkSignedCheckpoint({ ...signed, hash: 'b'.repeat(64) }, key).status).toBe('invalid');
  });

  it('accepts numbers written as strings (syslog structured data) and refuses malformed fields', () => {
    const signed = signedCheckpoint(key, head);
    expect(checkSignedCheckpoint({ ...signed, v: '1', seq: '42' }, key)).toEqual({
      status: 'valid',
      checkpoint: head,
    });
    for (const bad of [null, {}, { ...signed, v: 2 }, { ...signed, seq: 0 }, { ...signed, hash: 'A'.repeat(64) }])
      expect(checkSignedCheckpoint(bad, key)).toEqual({
        status: 'invalid',
        reason: 'does not hold { v, seq, hash, hmac }',
      });
  });
});

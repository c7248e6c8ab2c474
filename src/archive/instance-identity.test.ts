import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { instanceIdentity } from './instance-identity.js';

describe('instance identity of a data directory', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'ib-identity-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is created once, private, and read back the same at every start; another directory gets another', () => {
    const dir = fresh();
    const id = instanceIdentity(dir);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(instanceIdentity(dir)).toBe(id);
    expect(readFileSync(join(dir, 'instance-id'), 'utf8').trim()).toBe(id);
    expect(statSync(join(dir, 'instance-id')).mode & 0o077).toBe(0);
    expect(instanceIdentity(fresh())).not.toBe(id);
  });

  it('refuses a damaged file instead of starting under a new name', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'instance-id'), 'not-an-id');
    expect(() => instanceIdentity(dir)).toThrow(/does not hold an instance id/);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, rekey } from './sqlite-open.js';

describe('openSqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-sqlite-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const a = randomBytes(32);
  const b = randomBytes(32);

  it('keeps an encrypted database unreadable without its key, and opens it with any listed key', () => {
    const file = join(dir, 'x.sqlite');
    const db = openSqlite(file, [a]);
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('UNMISTAKABLE^NAME')");
    db.close();
    expect(readFileSync(file).includes('UNMISTAKABLE')).toBe(false);
    expect(() => openSqlite(file, [b])).toThrow(/none of the configured encryption keys/);
    const plain = openSqlite(file, undefined);
    expect(() => plain.prepare('SELECT * FROM t').all()).toThrow(/not a database/);
    plain.close();
    // After a rotation the new key comes first; the old one still opens what it keyed.
    const reopened = openSqlite(file, [b, a]);
    expect(reopened.prepare('SELECT v FROM t').pluck().get()).toBe('UNMISTAKABLE^NAME');
    reopened.pragma('journal_mode = DELETE');
    rekey(reopened, b);
    reopened.close();
    expect(() => openSqlite(file, [a])).toThrow(/none of the configured/);
    const rekeyed = openSqlite(file, [b]);
    expect(rekeyed.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    rekeyed.close();
  });
});
